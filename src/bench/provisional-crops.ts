/**
 * PROVISIONAL calibration, used only until the full calibration (src/bench/calibrate.ts) has run with the engine's own
 * detection + alignment pipeline. It embeds the East-Asian datasets that are already face crops (shozend_nogizaka46:
 * dlib-aligned 150×150; tapankarnik_kpop_idols: 160×160 detector crops, Thai identity excluded) by resizing them to
 * 112×112 and running faceplugin's fr_feature model, then measures the impostor thresholds. No detector, no
 * landmark alignment: the numbers are only an order-of-magnitude stand-in.
 *
 * Run: npx tsx src/bench/provisional-crops.ts [datasetsDir]
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { FAR_LEVELS, type FarThresholds } from '../engine/calibration.js';
import { buildCalibrationTable } from './calibration-table.js';
import { listAsianFaces } from './datasets.js';
import { accumulateImpostors, ImpostorStats } from './metrics.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const root = path.resolve(process.argv[2] ?? path.join(repoRoot, '../shared/datasets'));
const require = createRequire(import.meta.url);
const modelFile = path.join(
  path.dirname(require.resolve('faceplugin-face-recognition-js/package.json')),
  'model/fr_feature.onnx',
);

const sets = new Set(['shozend_nogizaka46', 'tapankarnik_kpop_idols']);
const images = listAsianFaces(root).images.filter((i) => sets.has(i.set));
const session = await ort.InferenceSession.create(modelFile, {
  intraOpNumThreads: 1,
});
const dim = 512;
const m = new Float32Array(images.length * dim);
const labels = new Int32Array(images.length);
const ids = new Map<string, number>();
for (let n = 0; n < images.length; n++) {
  const img = images[n]!;
  const { data } = await sharp(img.file)
    .removeAlpha()
    .resize(112, 112, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const input = new Float32Array(3 * 112 * 112);
  for (let p = 0; p < 112 * 112; p++)
    for (let c = 0; c < 3; c++) input[c * 112 * 112 + p] = (data[p * 3 + c]! - 127) / 128;
  const out = (
    await session.run({
      input: new ort.Tensor('float32', input, [1, 3, 112, 112]),
    })
  ).output!.data as Float32Array;
  let norm = 0;
  for (let d = 0; d < dim; d++) norm += out[d]! * out[d]!;
  norm = Math.sqrt(norm);
  for (let d = 0; d < dim; d++) m[n * dim + d] = out[d]! / norm;
  if (!ids.has(img.identity)) ids.set(img.identity, ids.size);
  labels[n] = ids.get(img.identity)!;
  if (n % 100 === 0) process.stderr.write(`\r${n}/${images.length}`);
}
process.stderr.write('\n');
const stats = new ImpostorStats();
accumulateImpostors(m, dim, labels, stats);
const thresholds = {} as FarThresholds;
for (const far of FAR_LEVELS) thresholds[far] = stats.thresholdAtFar(Number(far)).threshold;
const table = buildCalibrationTable({
  id: 'faceplugin-fr_feature',
  version: 0,
  provisional: true,
  model: 'faceplugin-fr_feature',
  pipeline:
    'PROVISIONAL: pre-cropped faces resized to 112x112 (no detection, no landmark alignment), (x-127)/128, fr_feature.onnx, L2-normalised, cosine similarity',
  command: 'npx tsx src/bench/provisional-crops.ts ../shared/datasets',
  datasets: [
    {
      name: 'asian-faces-crops',
      description: 'shozend_nogizaka46 + tapankarnik_kpop_idols (TH_Lisa excluded), all cross-identity pairs',
      images: images.length,
      embedded: images.length,
      identities: ids.size,
      impostorPairs: stats.total,
      thresholds,
    },
  ],
  notes: [
    `Only ${stats.total} impostor pairs: FAR 1e-5 rests on ~${(stats.total * 1e-5).toFixed(1)} pairs and FAR 1e-6 on none (threshold just above the highest impostor similarity).`,
    'Replace with the full table from `shiren bench --calibrate` (docs/calibration.md).',
  ],
});
const out = path.join(repoRoot, 'src/engine/calibration/faceplugin-fr_feature.json');
writeFileSync(out, JSON.stringify(table, null, 2) + '\n');
console.log(JSON.stringify(table.thresholds), stats.total);
