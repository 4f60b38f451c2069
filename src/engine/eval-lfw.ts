/**
 * Development measurement used to choose the pipeline settings documented in docs/engine.md: best-threshold
 * accuracy on LFW View 2 folds of `protocol/pairs.txt` with the in-process pipeline.
 *
 *   node --import tsx src/engine/eval-lfw.ts [--folds 1|10] [--landmarks mesh|fr_landmark] [--flip|--no-flip] [--passes 2]
 *     [--threshold 0.6] [--no-rotations]
 *
 * Pairs whose image has no detected face count as errors (similarity −1). Skips when the dataset is absent.
 * With `--folds 10` it also reports the 10-fold protocol (threshold chosen on 9 folds, accuracy on the 10th; metric
 * code from src/bench/metrics.ts). Per-stage times are the medians of the pipeline's own `timings`.
 * The full benchmark (ROC, FAR thresholds, East-Asian sets) is E3's `shiren bench`; this script only compares
 * engine variants.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createFacePipeline } from './pipeline.js';
import { cosineSimilarity, defaultRecogniserSpec } from './recogniser.js';
import { isShirenError } from '../errors.js';
import { tenFoldAccuracy } from '../bench/metrics.js';
import type { StageTimings } from './pipeline.js';

const { values } = parseArgs({
  options: {
    folds: { type: 'string', default: '1' },
    'no-flip': { type: 'boolean', default: false },
    flip: { type: 'boolean', default: false },
    'no-rotations': { type: 'boolean', default: false },
    landmarks: { type: 'string', default: 'mesh' },
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

// `--flip` / `--no-flip` override the recogniser's default (no flip since E4's 10-fold runs).
const flip = values.flip || (!values['no-flip'] && defaultRecogniserSpec().flipAugment);
const pipeline = await createFacePipeline({
  minFaceSize: 0,
  landmarks: values.landmarks === 'fr_landmark' ? 'fr_landmark' : 'mesh',
  tryRotations: !values['no-rotations'],
  recogniser: { ...defaultRecogniserSpec(), flipAugment: flip },
  detector: {
    landmarkPasses: Number(values.passes),
    scoreThreshold: Number(values.threshold),
  },
});
const cache = new Map<string, Float32Array | null>();
let noFace = 0;
let rotated = 0;
let ms = 0;
const stages: StageTimings[] = [];
async function embed(path: string): Promise<Float32Array | null> {
  if (cache.has(path)) return cache.get(path)!;
  const t0 = performance.now();
  let e: Float32Array | null = null;
  try {
    const r = await pipeline.analyse(readFileSync(path));
    if (r.image.rotation !== 0) rotated++;
    e = r.embedding;
    stages.push(r.timings);
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
const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const stageMedians = Object.fromEntries(
  (['decode', 'detect', 'landmarks', 'align', 'embed', 'orientation', 'total'] as const).map((k) => [
    k,
    +median(stages.map((t) => t[k])).toFixed(2),
  ]),
);
const searched = stages.filter((t) => t.orientation > 0).length;
const tenFold =
  folds === 10
    ? tenFoldAccuracy(sims.map((x, i) => ({ similarity: x.s, same: x.same, fold: Math.floor(i / 600) })))
    : undefined;
function bestOn(xs: { s: number; same: boolean }[]): { acc: number; t: number } {
  let best = { acc: 0, t: 0 };
  for (const { s: t } of xs) {
    const correct = xs.filter((x) => x.s >= t === x.same).length;
    if (correct / xs.length > best.acc) best = { acc: correct / xs.length, t };
  }
  return best;
}
const best = folds === 10 ? { acc: NaN, t: NaN } : bestOn(sims);
console.log(
  JSON.stringify({
    pairs: pairs.length,
    images: cache.size,
    noFace,
    rotated,
    bestAccuracy: +(best.acc * 100).toFixed(2),
    ...(tenFold
      ? {
          tenFoldMean: +(tenFold.mean * 100).toFixed(2),
          tenFoldStd: +(tenFold.std * 100).toFixed(2),
          fold1BestAccuracy: +(bestOn(sims.slice(0, 600)).acc * 100).toFixed(2),
        }
      : {}),
    threshold: +best.t.toFixed(4),
    msPerImage: +(ms / cache.size).toFixed(1),
    medianStageMs: stageMedians,
    orientationSearched: searched,
    landmarks: pipeline.info.landmarks,
    flip,
    passes: Number(values.passes),
  }),
);
await pipeline.close();
