/**
 * Development measurement of latency on 640×480 JPEG selfies (docs/engine.md):
 *
 *   node --import tsx src/engine/eval-latency.ts [--repeats 30] [--landmarks mesh|fr_landmark] [--seconds 20]
 *
 * The selfies are made in memory from the face-api demo photos (node_modules/@vladmandic/face-api/demo): the largest
 * face, cut out with margin to a 4:3 box, resized to 640×480 and encoded as JPEG quality 90. Nothing is written.
 *  1. In-process pipeline: median per-stage times (the pipeline's own `timings`) and the process CPU time per call.
 *  2. CPU time of each stage run on its own (the pipeline's building blocks, one after another).
 *  3. The public engine with 2 workers: compare latency p50/p90 one at a time, then compares/s with 4 in flight.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createFacePipeline, type StageTimings } from './pipeline.js';
import { createFaceEngine } from './index.js';
import { alignFace, flipHorizontal } from './align.js';
import { createFaceDetector } from './detector.js';
import { createFaceMesh, meshFivePoints } from './face-mesh.js';
import { loadImage, rotateRgb } from './image.js';
import { faceModelPath, openSession } from './models.js';
import { createRecogniser, defaultRecogniserSpec } from './recogniser.js';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '20' },
    landmarks: { type: 'string', default: 'mesh' },
    'skip-engine': { type: 'boolean', default: false },
  },
});
const landmarks = values.landmarks === 'fr_landmark' ? 'fr_landmark' : 'mesh';
const pipeline = await createFacePipeline({ landmarks });

const selfies: Buffer[] = [];
for (let n = 1; n <= 6; n++) {
  const photo = readFileSync(new URL(`../../node_modules/@vladmandic/face-api/demo/sample${n}.jpg`, import.meta.url));
  const { faces, image } = await pipeline.analyse(photo).catch(() => ({ faces: [], image: undefined }));
  const f = faces[0];
  if (!f || !image || image.rotation !== 0) continue;
  // A 4:3 box around the face, about 2.5 face heights tall, clamped to the photo.
  const h = Math.min(image.height, Math.round(f.box.height * 2.5));
  const w = Math.min(image.width, Math.round((h * 4) / 3));
  const left = Math.max(0, Math.min(image.width - w, Math.round(f.box.x + f.box.width / 2 - w / 2)));
  const top = Math.max(0, Math.min(image.height - h, Math.round(f.box.y + f.box.height / 2 - h / 2)));
  selfies.push(
    await sharp(photo)
      .extract({ left, top, width: w, height: h })
      .resize(640, 480, { fit: 'fill' })
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

const repeats = Number(values.repeats);
const timings: StageTimings[] = [];
const cpu: number[] = [];
let searched = 0;
for (let i = 0; i < 3; i++) for (const s of selfies) await pipeline.analyse(s);
for (let i = 0; i < repeats; i++) {
  for (const s of selfies) {
    const c0 = process.cpuUsage();
    const r = await pipeline.analyse(s);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    timings.push(r.timings);
    if (r.timings.orientation > 0) searched++;
  }
}
const stages = Object.fromEntries(
  (['decode', 'detect', 'landmarks', 'align', 'embed', 'orientation', 'total'] as const).map((k) => [
    k,
    +median(timings.map((t) => t[k])).toFixed(2),
  ]),
);
console.log(
  JSON.stringify({
    selfies: selfies.length,
    calls: timings.length,
    landmarks: pipeline.info.landmarks,
    medianStageMs: stages,
    medianProcessCpuMs: +median(cpu).toFixed(1),
    orientationSearched: searched,
  }),
);
await pipeline.close();

{
  const [detectSession, landmarkSession] = await Promise.all([
    openSession(faceModelPath('fr_detect')),
    openSession(faceModelPath('fr_landmark')),
  ]);
  const detector = createFaceDetector({ detectSession, landmarkSession });
  const spec = { ...defaultRecogniserSpec(), flipAugment: false };
  const recogniser = await createRecogniser(spec);
  const mesh = await createFaceMesh();
  const cpuMs: Record<string, number[]> = {};
  async function stage<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    const c0 = process.cpuUsage();
    const r = await fn();
    const c = process.cpuUsage(c0);
    (cpuMs[name] ??= []).push((c.user + c.system) / 1000);
    return r;
  }
  for (let i = 0; i < repeats; i++) {
    for (const s of selfies) {
      const { rgb } = await stage('decode', () => loadImage(s));
      const faces = await stage('detect+fr_landmark', () => detector.detect(rgb));
      const m = await stage('mesh', () => mesh.run(rgb, faces[0]!.landmarks5));
      const aligned = await stage('align', () => alignFace(rgb, meshFivePoints(m.points), spec.template, spec.size));
      await stage('fr_feature (1 pass)', () => recogniser.embedAligned(aligned));
      await stage('mirror', () => flipHorizontal(aligned));
      await stage('rotate 90', () => rotateRgb(rgb, 90));
    }
  }
  console.log(
    JSON.stringify({
      medianCpuMsPerStage: Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, +median(v).toFixed(2)])),
    }),
  );
  await Promise.all([detectSession.release(), landmarkSession.release(), recogniser.close(), mesh.close()]);
}

if (!values['skip-engine']) {
  const engine = await createFaceEngine({ workers: 2 });
  const pairs = selfies
    .flatMap((a, i) => selfies.map((b, j) => [i, j] as const).filter(([, j]) => j !== i))
    .map(([i, j]) => [selfies[i]!, selfies[j]!] as const);
  for (const [a, b] of pairs.slice(0, 6)) await engine.compare(a, b);
  const lat: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const [a, b] = pairs[i % pairs.length]!;
    const t0 = performance.now();
    await engine.compare(a, b);
    lat.push(performance.now() - t0);
  }
  const seconds = Number(values.seconds);
  let done = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    [0, 1, 2, 3].map(async (k) => {
      for (let i = k; performance.now() < end; i += 4) {
        const [a, b] = pairs[i % pairs.length]!;
        await engine.compare(a, b);
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      workers: 2,
      compareP50Ms: +median(lat).toFixed(1),
      compareP90Ms: +pct(lat, 0.9).toFixed(1),
      comparesPerSecond: +(done / elapsed).toFixed(1),
    }),
  );
  await engine.close();
}
