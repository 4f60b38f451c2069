/**
 * A set of embedded images with identity labels, and the pair statistics the calibration and the benchmark need:
 * impostor distributions over all cross-identity pairs and genuine-pair similarities.
 */
import { createHash } from 'node:crypto';
import type { BenchImage } from './datasets.js';
import { pairKey } from './datasets.js';
import type { EmbeddingCache } from './embed-all.js';
import { accumulateImpostors, dotAt, ImpostorStats } from './metrics.js';

export interface Corpus {
  /** Images with an embedding, in order of rows. */
  images: BenchImage[];
  /** Row-major embeddings, `dim` wide. */
  matrix: Float32Array;
  dim: number;
  /** Person label per row: images of the same person (also across folders) share a label. */
  labels: Int32Array;
  /** Images listed (with or without a face found). */
  listed: number;
  /** Images without an embedding, by reason. */
  failures: Record<string, number>;
}

/**
 * Builds a corpus from cached embeddings. `personOf` maps an image identity to a person (default: the identity), so
 * that people listed in several folders are never counted as impostors of themselves.
 */
export function buildCorpus(
  images: BenchImage[],
  cache: EmbeddingCache,
  personOf: (identity: string) => string = (id) => id,
): Corpus {
  const kept: BenchImage[] = [];
  const failures: Record<string, number> = {};
  for (const img of images) {
    const e = cache.entries.get(img.key);
    if (!e) throw new Error(`not embedded: ${img.key}`);
    if (e.row < 0) failures[e.reason ?? 'unknown'] = (failures[e.reason ?? 'unknown'] ?? 0) + 1;
    else kept.push(img);
  }
  const dim = cache.dim;
  const matrix = new Float32Array(kept.length * dim);
  const labels = new Int32Array(kept.length);
  const ids = new Map<string, number>();
  kept.forEach((img, i) => {
    matrix.set(cache.get(img.key)!, i * dim);
    const person = personOf(img.identity);
    if (!ids.has(person)) ids.set(person, ids.size);
    labels[i] = ids.get(person)!;
  });
  return { images: kept, matrix, dim, labels, listed: images.length, failures };
}

/** Restricts a corpus to the rows for which `keep` is true. */
export function subCorpus(c: Corpus, keep: (img: BenchImage, row: number) => boolean): Corpus {
  const rows: number[] = [];
  c.images.forEach((img, i) => {
    if (keep(img, i)) rows.push(i);
  });
  const matrix = new Float32Array(rows.length * c.dim);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    matrix.set(c.matrix.subarray(r * c.dim, (r + 1) * c.dim), i * c.dim);
    labels[i] = c.labels[r]!;
  });
  return {
    images: rows.map((r) => c.images[r]!),
    matrix,
    dim: c.dim,
    labels,
    listed: rows.length,
    failures: {},
  };
}

export function identityCount(c: Corpus): number {
  return new Set(c.labels).size;
}

/** Impostor distribution over every pair of rows with different person labels. */
export function impostorStats(c: Corpus, topK?: number): ImpostorStats {
  const stats = new ImpostorStats(topK === undefined ? {} : { topK });
  accumulateImpostors(c.matrix, c.dim, c.labels, stats);
  return stats;
}

/** Similarities of every same-identity pair within a folder, excluding listed near-duplicate pairs. */
export function genuineSimilarities(c: Corpus, nearDuplicates: Set<string> = new Set()): Float64Array {
  const byIdentity = new Map<string, number[]>();
  c.images.forEach((img, i) => {
    const list = byIdentity.get(img.identity) ?? [];
    list.push(i);
    byIdentity.set(img.identity, list);
  });
  const out: number[] = [];
  for (const rows of byIdentity.values()) {
    for (let x = 0; x < rows.length; x++) {
      for (let y = x + 1; y < rows.length; y++) {
        const a = rows[x]!;
        const b = rows[y]!;
        if (nearDuplicates.has(pairKey(c.images[a]!.key, c.images[b]!.key))) continue;
        out.push(dotAt(c.matrix, a * c.dim, b * c.dim, c.dim));
      }
    }
  }
  return Float64Array.from(out);
}

/** The highest-scoring impostor pairs (for review by hand: some may be one person under two names). */
export function topImpostorPairs(c: Corpus, n: number): Array<{ a: string; b: string; similarity: number }> {
  const best: Array<{ i: number; j: number; s: number }> = [];
  let floor = -Infinity;
  for (let i = 0; i < c.labels.length; i++) {
    for (let j = i + 1; j < c.labels.length; j++) {
      if (c.labels[i] === c.labels[j]) continue;
      const s = dotAt(c.matrix, i * c.dim, j * c.dim, c.dim);
      if (s <= floor && best.length >= n) continue;
      best.push({ i, j, s });
      if (best.length > n * 4) {
        best.sort((x, y) => y.s - x.s).length = n;
        floor = best[n - 1]!.s;
      }
    }
  }
  best.sort((x, y) => y.s - x.s);
  return best.slice(0, n).map(({ i, j, s }) => ({ a: c.images[i]!.key, b: c.images[j]!.key, similarity: s }));
}

/** Deterministic split of identities into two halves (by a hash of the identity name). */
export function identityHalf(identity: string): 0 | 1 {
  const h = createHash('sha256').update(identity).digest();
  return (h[0]! & 1) as 0 | 1;
}

/**
 * Label-consistency suspects: images (of identities with several images) whose mean similarity to the images of
 * another identity of the same folder is higher than to the other images of their own identity. For review by hand.
 */
export function labelSuspects(c: Corpus): Array<{ key: string; own: number; other: string; otherMean: number }> {
  const byIdentity = new Map<string, number[]>();
  c.images.forEach((img, i) => {
    const list = byIdentity.get(img.identity) ?? [];
    list.push(i);
    byIdentity.set(img.identity, list);
  });
  const mean = (r: number, rows: number[]): number => {
    let s = 0;
    let n = 0;
    for (const x of rows) {
      if (x === r) continue;
      s += dotAt(c.matrix, r * c.dim, x * c.dim, c.dim);
      n++;
    }
    return n ? s / n : NaN;
  };
  const out: Array<{ key: string; own: number; other: string; otherMean: number }> = [];
  for (const [id, rows] of byIdentity) {
    if (rows.length < 3) continue;
    const set = c.images[rows[0]!]!.set;
    for (const r of rows) {
      const own = mean(r, rows);
      let best = { id: '', m: -Infinity };
      for (const [id2, rows2] of byIdentity) {
        if (id2 === id || rows2.length < 3 || c.images[rows2[0]!]!.set !== set) continue;
        const m = mean(r, rows2);
        if (m > best.m) best = { id: id2, m };
      }
      if (best.m > own) out.push({ key: c.images[r]!.key, own, other: best.id, otherMean: best.m });
    }
  }
  return out.sort((a, b) => b.otherMean - b.own - (a.otherMean - a.own));
}
