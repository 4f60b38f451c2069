/**
 * Prints the quality fields (and the raw statistics behind the heuristic ones) for photos and generated
 * degradations; the measurements quoted in docs/quality.md come from this script.
 *
 *   npx tsx scripts/eval-quality.ts [--degrade] FILE...
 *   npx tsx scripts/eval-quality.ts --degrade node_modules/@vladmandic/face-api/demo/sample{1,2,3,4,5,6}.jpg
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createFacePipeline } from '../src/engine/pipeline.js';
import { alignForQuality, createQualityAssessor, imageStatistics } from '../src/engine/quality.js';

const { values, positionals } = parseArgs({
  options: { degrade: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const pipeline = await createFacePipeline({ tryRotations: false });
const qa = await createQualityAssessor();

async function run(bytes: Uint8Array, label: string): Promise<void> {
  try {
    const { rgb, faces } = await pipeline.locate(bytes);
    const face = faces[0]!;
    const st = imageStatistics(alignForQuality(rgb, face.landmarks5));
    const q = await qa.assess(rgb, face);
    const fields = Object.entries(q)
      .map(([k, v]) => `${k}=${v.toFixed(2)}`)
      .join(' ');
    console.log(
      `${label.padEnd(18)} lapVar=${st.lapVar.toFixed(0)} mouthRatio=${st.mouthRatio.toFixed(2)} foreheadDist=${st.foreheadDistance.toFixed(0)} | ${fields}`,
    );
  } catch (err) {
    console.log(`${label.padEnd(18)} error: ${(err as Error).message}`);
  }
}

for (const file of positionals) {
  const buf = readFileSync(file);
  const name = basename(file);
  await run(buf, name);
  if (values.degrade) {
    await run(await sharp(buf).blur(4).jpeg().toBuffer(), `${name} blur4`);
    await run(await sharp(buf).linear(0.4, 0).jpeg().toBuffer(), `${name} dark0.4`);
    await run(await sharp(buf).rotate(20, { background: '#808080' }).jpeg().toBuffer(), `${name} rot+20`);
    await run(await sharp(buf).flop().jpeg().toBuffer(), `${name} mirror`);
  }
}
await Promise.all([pipeline.close(), qa.close()]);
