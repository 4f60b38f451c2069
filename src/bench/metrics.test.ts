import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  accumulateImpostors,
  bestAccuracyThreshold,
  gridAbove,
  ImpostorStats,
  passRate,
  percentile,
  tenFoldAccuracy,
  thresholdAtFar,
  type LabelledPair,
} from './metrics.js';

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
}

test('threshold at FAR lets at most ⌊FAR·N⌋ impostors through and is the smallest such 1e-6 grid value', () => {
  const r = rng(1);
  const imp = Array.from({ length: 20_000 }, () => Math.tanh(0.2 * gaussian(r)));
  for (const far of [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]) {
    const t = thresholdAtFar(imp, far);
    const k = Math.floor(far * imp.length + 1e-9);
    const passed = imp.filter((s) => s >= t).length;
    assert.ok(passed <= k, `far ${far}: ${passed} > ${k}`);
    // one grid step lower lets more than k through (t is minimal on the grid)
    assert.ok(imp.filter((s) => s >= t - 1e-6).length > k, `far ${far}: not minimal`);
  }
  // tiny example by hand: 10 impostors, FAR 0.2 → 2 may pass → threshold just above the 3rd highest (0.8)
  const ten = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
  assert.equal(thresholdAtFar(ten, 0.2), 0.800001);
  assert.equal(thresholdAtFar(ten, 0.05), 0.950001);
  assert.equal(gridAbove(0.5), 0.500001);
});

test('histogram + top-K thresholds equal a brute-force sort (exact where covered, never looser elsewhere)', () => {
  const r = rng(7);
  const n = 50_000;
  const all = new Float64Array(n);
  const stats = new ImpostorStats({ topK: 60 }); // covers FAR ≤ 1e-3 (k = 50) exactly
  for (let i = 0; i < n; i++) {
    all[i] = Math.max(-1, Math.min(1, 0.15 * gaussian(r)));
    stats.add(all[i]!);
  }
  assert.equal(stats.total, n);
  const sorted = Float64Array.from(all).sort().reverse();
  assert.deepEqual(stats.sortedTop(), sorted.slice(0, 60));
  for (const far of [1e-3, 1e-4, 1e-5]) {
    const got = stats.thresholdAtFar(far);
    assert.equal(got.exact, true);
    assert.equal(got.threshold, thresholdAtFar(all, far));
  }
  for (const far of [1e-1, 1e-2]) {
    const got = stats.thresholdAtFar(far);
    const brute = thresholdAtFar(all, far);
    assert.equal(got.exact, false);
    assert.ok(got.threshold >= brute, 'histogram threshold must be on the strict side');
    assert.ok(got.threshold - brute <= 1e-4 + 1e-6, 'within one bin');
    assert.ok(passRate(all, got.threshold) <= far);
  }
  const t = stats.thresholdAtFar(1e-4).threshold;
  assert.deepEqual(stats.countAtOrAbove(t), { count: all.filter((s) => s >= t).length, exact: true });
});

test('top-K survives many compactions and merges', () => {
  const r = rng(3);
  const a = new ImpostorStats({ topK: 10 });
  const b = new ImpostorStats({ topK: 10 });
  const all: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const s = r() * 2 - 1;
    all.push(s);
    (i % 2 ? a : b).add(s);
  }
  a.merge(b);
  assert.equal(a.total, 5000);
  assert.deepEqual(Array.from(a.sortedTop()), all.sort((x, y) => y - x).slice(0, 10));
});

test('accumulateImpostors visits every cross-label pair once', () => {
  const r = rng(11);
  const dim = 4;
  const n = 150; // several 64-row blocks
  const m = Float32Array.from({ length: n * dim }, () => r() - 0.5);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 7);
  const stats = new ImpostorStats({ topK: n * n });
  const added = accumulateImpostors(m, dim, labels, stats);
  const brute: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      if (labels[i] === labels[j]) continue;
      let s = 0;
      for (let d = 0; d < dim; d++) s += m[i * dim + d]! * m[j * dim + d]!;
      brute.push(s);
    }
  assert.equal(added, brute.length);
  assert.deepEqual(
    Array.from(stats.sortedTop()),
    brute.sort((x, y) => y - x),
  );
  // an exclusion predicate removes pairs
  const none = new ImpostorStats();
  assert.equal(accumulateImpostors(m, dim, labels, none, { sameGroup: () => true }), 0);
});

test('10-fold protocol picks the threshold on the other folds', () => {
  const pairs: LabelledPair[] = [];
  for (let f = 0; f < 10; f++) {
    for (let i = 0; i < 10; i++) {
      pairs.push({ similarity: 0.6 + i * 0.01, same: true, fold: f });
      pairs.push({ similarity: 0.1 + i * 0.01, same: false, fold: f });
    }
  }
  assert.equal(tenFoldAccuracy(pairs).mean, 1);
  // fold 0 is mislabelled: it must not influence its own threshold, so it scores 0 there
  const flipped = pairs.map((p) => (p.fold === 0 ? { ...p, same: !p.same } : p));
  const res = tenFoldAccuracy(flipped);
  assert.equal(res.folds[0]!.accuracy, 0);
  assert.equal(res.folds[1]!.accuracy, 1);
  assert.ok(Math.abs(res.mean - 0.9) < 1e-12);
  const best = bestAccuracyThreshold(pairs);
  assert.equal(best.accuracy, 1);
  assert.ok(best.threshold > 0.19 && best.threshold < 0.6);
});

test('percentile and pass rate', () => {
  assert.equal(percentile([1, 2, 3, 4, 5], 50), 3);
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentile([10, 0], 100), 10);
  assert.equal(passRate([0.1, 0.5, 0.9], 0.5), 2 / 3);
  assert.ok(Number.isNaN(passRate([], 0.5)));
});
