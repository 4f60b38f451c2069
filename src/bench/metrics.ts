/**
 * Verification metrics on similarity scores: impostor distributions (fine histogram + exact top-K), thresholds at a
 * false-accept rate, pass rates, the LFW 10-fold protocol, percentiles. Pure functions, no I/O.
 */

/** Resolution of thresholds: they are reported on a 1e-6 grid. */
const GRID = 1e6;

/** Smallest multiple of 1e-6 strictly greater than `x`. */
export function gridAbove(x: number): number {
  let n = Math.floor(x * GRID) + 1;
  while (n / GRID <= x) n++;
  while ((n - 1) / GRID > x) n--;
  return n / GRID;
}

/** Smallest multiple of 1e-6 that is ≥ `x`. */
export function gridAtOrAbove(x: number): number {
  let n = Math.ceil(x * GRID - 1e-7);
  while (n / GRID < x) n++;
  return n / GRID;
}

/**
 * Threshold at false-accept rate `far` from impostor similarities sorted in descending order (possibly only the top
 * of them; `total` is the number of impostor pairs). With k = ⌊far·total⌋ it is the smallest multiple of 1e-6 above the
 * (k+1)-th highest similarity, so at most k impostor pairs have similarity ≥ threshold. Returns undefined when the
 * sorted list is too short to decide.
 */
export function thresholdFromSortedDesc(sortedDesc: ArrayLike<number>, total: number, far: number): number | undefined {
  const k = Math.floor(far * total + 1e-9);
  if (k >= total) return -1;
  if (k >= sortedDesc.length) return undefined;
  return gridAbove(sortedDesc[k]!);
}

/** Brute-force reference: threshold at `far` over all impostor similarities (sorts a copy). */
export function thresholdAtFar(impostors: ArrayLike<number>, far: number): number {
  const sorted = Float64Array.from(impostors).sort().reverse();
  return thresholdFromSortedDesc(sorted, sorted.length, far)!;
}

/** Share of `scores` that are ≥ `threshold`. */
export function passRate(scores: ArrayLike<number>, threshold: number): number {
  if (scores.length === 0) return NaN;
  let n = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! >= threshold) n++;
  return n / scores.length;
}

export interface ImpostorStatsOptions {
  /** Histogram bin width over [−1, 1]; default 1e-4. */
  binWidth?: number;
  /** How many of the highest similarities to keep exactly; default 100 000. */
  topK?: number;
}

/**
 * Accumulates an impostor similarity distribution too large to keep: a fine histogram over [−1, 1] plus the exact
 * top-K similarities, so that thresholds at small FARs are exact and those at large FARs are within one bin
 * (rounded to the stricter side).
 */
export class ImpostorStats {
  readonly binWidth: number;
  readonly topK: number;
  readonly bins: Float64Array;
  total = 0;
  private buf: Float64Array;
  private used = 0;
  private cutoff = -Infinity;

  constructor(opts: ImpostorStatsOptions = {}) {
    this.binWidth = opts.binWidth ?? 1e-4;
    this.topK = opts.topK ?? 100_000;
    this.bins = new Float64Array(Math.ceil(2 / this.binWidth));
    this.buf = new Float64Array(Math.max(2 * this.topK, 16));
  }

  add(s: number): void {
    this.total++;
    let b = Math.floor((s + 1) / this.binWidth);
    if (b < 0) b = 0;
    else if (b >= this.bins.length) b = this.bins.length - 1;
    this.bins[b]!++;
    if (s >= this.cutoff) {
      if (this.used === this.buf.length) this.compact();
      if (s >= this.cutoff) this.buf[this.used++] = s;
    }
  }

  /** Merges another accumulator (same bin width) into this one. */
  merge(other: ImpostorStats): void {
    if (other.binWidth !== this.binWidth) throw new Error('bin widths differ');
    for (let i = 0; i < this.bins.length; i++) this.bins[i]! += other.bins[i]!;
    const top = other.sortedTop();
    const before = this.total + other.total;
    for (let i = 0; i < top.length; i++) {
      if (top[i]! >= this.cutoff) {
        if (this.used === this.buf.length) this.compact();
        if (top[i]! >= this.cutoff) this.buf[this.used++] = top[i]!;
      }
    }
    this.total = before;
  }

  private compact(): void {
    const sorted = this.buf.subarray(0, this.used).sort().reverse();
    if (this.used >= this.topK) {
      this.used = this.topK;
      this.cutoff = sorted[this.topK - 1]!;
    }
  }

  /** The kept highest similarities, in descending order (at most topK). */
  sortedTop(): Float64Array {
    this.compact();
    return this.buf.slice(0, this.used);
  }

  /** Threshold at `far` (see thresholdFromSortedDesc): exact from the top-K when it covers it, else from the histogram. */
  thresholdAtFar(far: number): { threshold: number; exact: boolean } {
    const exact = thresholdFromSortedDesc(this.sortedTop(), this.total, far);
    if (exact !== undefined) return { threshold: exact, exact: true };
    const k = Math.floor(far * this.total + 1e-9);
    let above = 0;
    for (let b = this.bins.length - 1; b >= 0; b--) {
      above += this.bins[b]!;
      if (above > k)
        return {
          threshold: gridAtOrAbove(-1 + (b + 1) * this.binWidth),
          exact: false,
        };
    }
    return { threshold: -1, exact: false };
  }

  /** Number of pairs with similarity ≥ t: exact when t is within the kept top-K, else counted by histogram bins. */
  countAtOrAbove(t: number): { count: number; exact: boolean } {
    const top = this.sortedTop();
    const last = top[top.length - 1];
    if (top.length === this.total || (last !== undefined && t > last)) {
      let n = 0;
      while (n < top.length && top[n]! >= t) n++;
      return { count: n, exact: true };
    }
    let n = 0;
    const first = Math.max(0, Math.ceil((t + 1) / this.binWidth - 1e-9));
    for (let b = first; b < this.bins.length; b++) n += this.bins[b]!;
    return { count: n, exact: false };
  }
}

/** Percentile (0–100) by linear interpolation between order statistics. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface LabelledPair {
  similarity: number;
  same: boolean;
  /** 0-based fold index. */
  fold: number;
}

/** The accuracy-maximising threshold on `pairs` (a midpoint between consecutive similarities). */
export function bestAccuracyThreshold(pairs: LabelledPair[]): {
  threshold: number;
  accuracy: number;
} {
  const sorted = [...pairs].sort((a, b) => a.similarity - b.similarity);
  // Threshold below everything: every pair is predicted "same".
  let correct = sorted.filter((p) => p.same).length;
  let best = correct;
  let bestT = sorted.length ? sorted[0]!.similarity - 1e-6 : 0;
  for (let i = 0; i < sorted.length; i++) {
    // Moving the threshold above sorted[i] flips it to "different".
    correct += sorted[i]!.same ? -1 : 1;
    const next = sorted[i + 1];
    if (next && next.similarity === sorted[i]!.similarity) continue;
    if (correct > best) {
      best = correct;
      bestT = next ? (sorted[i]!.similarity + next.similarity) / 2 : sorted[i]!.similarity + 1e-6;
    }
  }
  return {
    threshold: bestT,
    accuracy: sorted.length ? best / sorted.length : NaN,
  };
}

export interface TenFoldResult {
  mean: number;
  std: number;
  folds: Array<{ threshold: number; accuracy: number }>;
}

/** LFW protocol: for each fold, pick the threshold on the other folds and measure accuracy on it. */
export function tenFoldAccuracy(pairs: LabelledPair[], nFolds = 10): TenFoldResult {
  const folds: Array<{ threshold: number; accuracy: number }> = [];
  for (let f = 0; f < nFolds; f++) {
    const train = pairs.filter((p) => p.fold !== f);
    const test = pairs.filter((p) => p.fold === f);
    const { threshold } = bestAccuracyThreshold(train);
    const correct = test.filter((p) => p.similarity >= threshold === p.same).length;
    folds.push({
      threshold,
      accuracy: test.length ? correct / test.length : NaN,
    });
  }
  const mean = folds.reduce((s, f) => s + f.accuracy, 0) / folds.length;
  const std = Math.sqrt(folds.reduce((s, f) => s + (f.accuracy - mean) ** 2, 0) / folds.length);
  return { mean, std, folds };
}

/** Dot product of `dim` values of `m` starting at offsets `a` and `b` (unrolled by 4). */
export function dotAt(m: Float32Array, a: number, b: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += m[a + d]! * m[b + d]!;
    s1 += m[a + d + 1]! * m[b + d + 1]!;
    s2 += m[a + d + 2]! * m[b + d + 2]!;
    s3 += m[a + d + 3]! * m[b + d + 3]!;
  }
  for (; d < dim; d++) s0 += m[a + d]! * m[b + d]!;
  return s0 + s1 + s2 + s3;
}

/** Dot product of rows i and j of a row-major matrix of `dim`-wide rows. */
export function dotRows(m: Float32Array, dim: number, i: number, j: number): number {
  return dotAt(m, i * dim, j * dim, dim);
}

/**
 * Feeds every cross-label pair (i < j, label[i] ≠ label[j] and not `sameGroup`) of the rows of `m` into `stats`.
 * Rows are processed in blocks so they stay in cache. Returns the number of pairs added.
 */
export function accumulateImpostors(
  m: Float32Array,
  dim: number,
  labels: Int32Array,
  stats: ImpostorStats,
  opts: {
    sameGroup?: (i: number, j: number) => boolean;
    rows?: [start: number, end: number];
  } = {},
): number {
  const n = labels.length;
  const [start, end] = opts.rows ?? [0, n];
  const block = 64;
  let added = 0;
  for (let i0 = start; i0 < end; i0 += block) {
    const i1 = Math.min(i0 + block, end);
    for (let j0 = i0; j0 < n; j0 += block) {
      const j1 = Math.min(j0 + block, n);
      for (let i = i0; i < i1; i++) {
        const li = labels[i]!;
        const a = i * dim;
        for (let j = Math.max(j0, i + 1); j < j1; j++) {
          if (labels[j] === li) continue;
          if (opts.sameGroup && opts.sameGroup(i, j)) continue;
          stats.add(dotAt(m, a, j * dim, dim));
          added++;
        }
      }
    }
  }
  return added;
}
