/**
 * Development sweep behind the landmark choice in docs/engine.md: the same detections, aligned with different five-
 * point sources, embedded with fr_feature (flip-summed), compared on LFW View 2.
 *
 *   node --import tsx src/engine/eval-landmarks.ts [--folds 1|10]
 *
 * Variants: fr_landmark's points; the face mesh with crop scales 3.5 / 4 / 4.5; eyes from the 2 corners instead of the
 * 16 contour points; mouth corners averaged with the inner corners; a second mesh pass placed from the first; and the
 * recogniser input as BGR (the default since this sweep) or RGB (x − 127)/128 instead of RGB (x − 127.5)/128. All
 * other variants feed RGB (x − 127.5)/128, the default before the sweep. Prints best-threshold accuracy on fold 1
 * and, with `--folds 10`, the 10-fold protocol (src/bench/metrics.ts). Skips when the dataset is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tenFoldAccuracy } from '../bench/metrics.js';
import { createFaceDetector } from './detector.js';
import { createFaceMesh, meshFivePoints } from './face-mesh.js';
import { loadImage } from './image.js';
import { faceModelPath, openSession } from './models.js';
import { cosineSimilarity, createRecogniser, defaultRecogniserSpec, type Recogniser } from './recogniser.js';
import type { Landmarks5, Point } from './types.js';

const { values } = parseArgs({
  options: {
    folds: { type: 'string', default: '1' },
    root: { type: 'string', default: join(import.meta.dirname, '../../../shared/datasets/lfw') },
  },
});
const root = values.root!;
if (!existsSync(join(root, 'protocol/pairs.txt'))) {
  console.log(`LFW not found under ${root}; skipping.`);
  process.exit(0);
}
const folds = Number(values.folds);
const file = (name: string, n: string) => join(root, 'lfw-deepfunneled', name, `${name}_${n.padStart(4, '0')}.jpg`);
const pairs = readFileSync(join(root, 'protocol/pairs.txt'), 'utf8')
  .trim()
  .split('\n')
  .slice(1, 1 + 600 * folds)
  .map((l) => {
    const p = l.trim().split(/\s+/);
    return p.length === 3
      ? { a: file(p[0]!, p[1]!), b: file(p[0]!, p[2]!), same: true }
      : { a: file(p[0]!, p[1]!), b: file(p[2]!, p[3]!), same: false };
  });

const [detectSession, landmarkSession] = await Promise.all([
  openSession(faceModelPath('fr_detect')),
  openSession(faceModelPath('fr_landmark')),
]);
const detector = createFaceDetector({ detectSession, landmarkSession });
const spec = defaultRecogniserSpec();
const recognisers = {
  rgb: await createRecogniser({ ...spec, colour: 'rgb' }),
  bgr: await createRecogniser({ ...spec, colour: 'bgr' }),
  mean127: await createRecogniser({ ...spec, colour: 'rgb', mean: [127, 127, 127] }),
};
const scales = [3.5, 4, 4.5];
const meshes = await Promise.all(scales.map((cropScale) => createFaceMesh({ cropScale })));

interface Found {
  rough: Landmarks5;
  mesh: Point[][]; // one per crop scale
  mesh2: Point[]; // second pass (scale 4) placed from the first
}
const mean = (p: Point[], idx: number[]): Point => [
  idx.reduce((s, i) => s + p[i]![0], 0) / idx.length,
  idx.reduce((s, i) => s + p[i]![1], 0) / idx.length,
];
const variants: { name: string; points: (f: Found) => Landmarks5; rec: Recogniser }[] = [
  { name: 'fr_landmark', points: (f) => f.rough, rec: recognisers.rgb },
  ...scales.map((k, i) => ({
    name: `mesh, crop ${k}`,
    points: (f: Found) => meshFivePoints(f.mesh[i]!),
    rec: recognisers.rgb,
  })),
  {
    name: 'mesh, eyes from 2 corners',
    points: (f) => {
      const p = f.mesh[1]!;
      return [mean(p, [33, 133]), mean(p, [263, 362]), p[1]!, p[61]!, p[291]!];
    },
    rec: recognisers.rgb,
  },
  {
    name: 'mesh, mouth outer+inner',
    points: (f) => {
      const p = f.mesh[1]!;
      const five = meshFivePoints(p);
      return [five[0], five[1], five[2], mean(p, [61, 78]), mean(p, [291, 308])];
    },
    rec: recognisers.rgb,
  },
  { name: 'mesh, second pass', points: (f) => meshFivePoints(f.mesh2), rec: recognisers.rgb },
  { name: 'mesh, BGR input', points: (f) => meshFivePoints(f.mesh[1]!), rec: recognisers.bgr },
  { name: 'mesh, (x−127)/128', points: (f) => meshFivePoints(f.mesh[1]!), rec: recognisers.mean127 },
];

const cache = new Map<string, (Float32Array | null)[]>();
let noFace = 0;
async function embeddings(path: string): Promise<(Float32Array | null)[]> {
  const hit = cache.get(path);
  if (hit) return hit;
  const { rgb } = await loadImage(readFileSync(path));
  const face = (await detector.detect(rgb))[0];
  let out: (Float32Array | null)[];
  if (!face) {
    noFace++;
    out = variants.map(() => null);
  } else {
    const mesh: Point[][] = [];
    for (const m of meshes) mesh.push((await m.run(rgb, face.landmarks5)).points);
    const mesh2 = (await meshes[1]!.run(rgb, meshFivePoints(mesh[1]!))).points;
    const found: Found = { rough: face.landmarks5, mesh, mesh2 };
    out = [];
    for (const v of variants) out.push(await v.rec.embed(rgb, v.points(found)));
  }
  cache.set(path, out);
  return out;
}

const sims = variants.map(() => [] as { similarity: number; same: boolean; fold: number }[]);
for (const [i, p] of pairs.entries()) {
  const [a, b] = [await embeddings(p.a), await embeddings(p.b)];
  variants.forEach((_, v) => {
    const ea = a[v];
    const eb = b[v];
    sims[v]!.push({ similarity: ea && eb ? cosineSimilarity(ea, eb) : -1, same: p.same, fold: Math.floor(i / 600) });
  });
}

function bestAccuracy(xs: { similarity: number; same: boolean }[]): number {
  let best = 0;
  for (const { similarity: t } of xs) {
    const correct = xs.filter((x) => x.similarity >= t === x.same).length;
    best = Math.max(best, correct / xs.length);
  }
  return best;
}
for (const [v, variant] of variants.entries()) {
  const s = sims[v]!;
  const ten = folds === 10 ? tenFoldAccuracy(s) : undefined;
  console.log(
    JSON.stringify({
      variant: variant.name,
      fold1BestAccuracy: +(bestAccuracy(s.slice(0, 600)) * 100).toFixed(2),
      ...(ten ? { tenFoldMean: +(ten.mean * 100).toFixed(2), tenFoldStd: +(ten.std * 100).toFixed(2) } : {}),
    }),
  );
}
console.log(JSON.stringify({ pairs: pairs.length, images: cache.size, noFace }));
