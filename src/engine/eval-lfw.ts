/**
 * Development measurement used to choose the pipeline settings documented in docs/engine.md: best-threshold
 * accuracy on LFW View 2 folds of `protocol/pairs.txt` with the in-process pipeline.
 *
 *   node --import tsx src/engine/eval-lfw.ts [--folds 1] [--no-flip] [--passes 2] [--threshold 0.6]
 *
 * Pairs whose image has no detected face count as errors (similarity −1). Skips when the dataset is absent.
 * The full benchmark (ROC, FAR thresholds, East-Asian sets) is E3's `shiren bench`; this script only compares
 * engine variants.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createFacePipeline } from './pipeline.js';
import { cosineSimilarity, defaultRecogniserSpec } from './recogniser.js';
import { isShirenError } from '../errors.js';

const { values } = parseArgs({
  options: {
    folds: { type: 'string', default: '1' },
    'no-flip': { type: 'boolean', default: false },
    passes: { type: 'string', default: '1' },
    threshold: { type: 'string', default: '0.6' },
    root: {
      type: 'string',
      default: join(import.meta.dirname, '../../../shared/datasets/lfw'),
    },
  },
});

const root = values.root!;
if (!existsSync(join(root, 'protocol/pairs.txt'))) {
  console.log(`LFW not found under ${root}; skipping.`);
  process.exit(0);
}
const folds = Number(values.folds);
const lines = readFileSync(join(root, 'protocol/pairs.txt'), 'utf8')
  .trim()
  .split('\n')
  .slice(1, 1 + 600 * folds);
const file = (name: string, n: string) => join(root, 'lfw-deepfunneled', name, `${name}_${n.padStart(4, '0')}.jpg`);
const pairs = lines.map((l) => {
  const p = l.trim().split(/\s+/);
  return p.length === 3
    ? { a: file(p[0]!, p[1]!), b: file(p[0]!, p[2]!), same: true }
    : { a: file(p[0]!, p[1]!), b: file(p[2]!, p[3]!), same: false };
});

const pipeline = await createFacePipeline({
  minFaceSize: 0,
  recogniser: { ...defaultRecogniserSpec(), flipAugment: !values['no-flip'] },
  detector: {
    landmarkPasses: Number(values.passes),
    scoreThreshold: Number(values.threshold),
  },
});
const cache = new Map<string, Float32Array | null>();
let noFace = 0;
let rotated = 0;
let ms = 0;
async function embed(path: string): Promise<Float32Array | null> {
  if (cache.has(path)) return cache.get(path)!;
  const t0 = performance.now();
  let e: Float32Array | null = null;
  try {
    const r = await pipeline.analyse(readFileSync(path));
    if (r.image.rotation !== 0) rotated++;
    e = r.embedding;
  } catch (err) {
    if (!isShirenError(err) || err.reason !== 'face_not_found') throw err;
    noFace++;
  }
  ms += performance.now() - t0;
  cache.set(path, e);
  return e;
}
const sims: { s: number; same: boolean }[] = [];
for (const p of pairs) {
  const [a, b] = [await embed(p.a), await embed(p.b)];
  sims.push({ s: a && b ? cosineSimilarity(a, b) : -1, same: p.same });
}
let best = { acc: 0, t: 0 };
for (const { s: t } of sims) {
  const correct = sims.filter((x) => x.s >= t === x.same).length;
  if (correct / sims.length > best.acc) best = { acc: correct / sims.length, t };
}
console.log(
  JSON.stringify({
    pairs: pairs.length,
    images: cache.size,
    noFace,
    rotated,
    bestAccuracy: +(best.acc * 100).toFixed(2),
    threshold: +best.t.toFixed(4),
    msPerImage: +(ms / cache.size).toFixed(1),
    flip: !values['no-flip'],
    passes: Number(values.passes),
  }),
);
await pipeline.close();
