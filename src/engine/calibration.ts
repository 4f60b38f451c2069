/**
 * Score calibration: maps a cosine similarity between two face embeddings to a 0–100 score on the scale used by
 * Volcengine (and Aliyun's VerifyScore / Baidu's score): score 60 / 70 / 80 / 90 ⇔ false-accept rate 1e-3 / 1e-4 /
 * 1e-5 / 1e-6 on impostor pairs. Below FAR 1e-3 the scale continues with FAR 1e-2 ↦ 50, 1e-1 ↦ 40 and similarity −1 ↦ 0;
 * above FAR 1e-6 it runs to 100 at similarity 1. Between anchors the mapping is linear, so it is continuous and
 * strictly increasing, and a decision "score ≥ 70" is exactly "similarity ≥ threshold at FAR 1e-4".
 *
 * Tables are JSON files in `./calibration/<id>.json`, written by `shiren bench --calibrate` (src/bench/calibrate.ts).
 * They are imported statically (import attributes) so that `tsc` emits them next to the compiled module in dist/ and
 * tsx runs them from src/. See docs/calibration.md.
 */
import { ShirenError } from '../errors.js';
import fprFeature from './calibration/faceplugin-fr_feature.json' with { type: 'json' };

/** The false-accept rates the scale is anchored at, from the loosest to the strictest. */
export const FAR_LEVELS = ['1e-1', '1e-2', '1e-3', '1e-4', '1e-5', '1e-6'] as const;
export type FarLevel = (typeof FAR_LEVELS)[number];

/** Score given to a similarity exactly at the threshold of each FAR level. */
export const SCORE_AT_FAR: Readonly<Record<FarLevel, number>> = Object.freeze({
  '1e-1': 40,
  '1e-2': 50,
  '1e-3': 60,
  '1e-4': 70,
  '1e-5': 80,
  '1e-6': 90,
});

/** The FAR levels that have a vendor-convention decision threshold (60/70/80/90). */
export type DecisionFarLevel = '1e-3' | '1e-4' | '1e-5' | '1e-6';

export type FarThresholds = Record<FarLevel, number>;

/** One impostor distribution the thresholds were measured on. */
export interface CalibrationDataset {
  /** e.g. `lfw`, `asian-faces`. */
  name: string;
  description: string;
  /** Images listed / images with an embedding (face found). */
  images: number;
  embedded: number;
  identities: number;
  /** Number of cross-identity (impostor) pairs the thresholds rest on. */
  impostorPairs: number;
  /** Similarity threshold at each FAR: the share of impostor pairs with similarity ≥ threshold is ≤ FAR. */
  thresholds: FarThresholds;
  /** Impostor pairs with similarity ≥ the chosen (final) threshold at each FAR. */
  impostorsAtOrAboveChosen?: Partial<Record<FarLevel, number>>;
}

export interface CalibrationTable {
  /** File name without `.json`; by convention the recogniser model id. */
  id: string;
  version: number;
  /** True while the table is not yet the full measurement described in docs/calibration.md. */
  provisional: boolean;
  /** Recogniser model id, e.g. `faceplugin-fr_feature`. */
  model: string;
  /** Detection / alignment / embedding pipeline the embeddings came from (must match the runtime pipeline). */
  pipeline: string;
  createdAt: string;
  /** The exact command that produced this file. */
  command: string;
  /** How the final thresholds were chosen from the per-dataset ones. */
  rule: string;
  /** Chosen similarity threshold at each FAR (the stricter = higher of the datasets'). */
  thresholds: FarThresholds;
  datasets: CalibrationDataset[];
  notes?: string[];
}

const BUILT_IN: Record<string, unknown> = {
  'faceplugin-fr_feature': fprFeature,
};

const cache = new Map<string, CalibrationTable>();

/** Returns the calibration table `src/engine/calibration/<id>.json`; throws `engine_unavailable` if there is none. */
export function loadCalibration(id: string): CalibrationTable {
  const hit = cache.get(id);
  if (hit) return hit;
  const raw = Object.hasOwn(BUILT_IN, id) ? BUILT_IN[id] : undefined;
  if (raw === undefined) {
    throw new ShirenError('engine_unavailable', `No score calibration table for model "${id}".`, {
      details: { calibration: id },
    });
  }
  const table = parseCalibrationTable(raw);
  cache.set(id, table);
  return table;
}

function fail(problem: string): never {
  throw new ShirenError('internal', `Invalid calibration table: ${problem}`);
}

function readThresholds(value: unknown, where: string): FarThresholds {
  if (typeof value !== 'object' || value === null) fail(`${where} is not an object`);
  const out = {} as FarThresholds;
  for (const far of FAR_LEVELS) {
    const v = (value as Record<string, unknown>)[far];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= -1 || v >= 1) {
      fail(`${where}["${far}"] must be a number in (−1, 1)`);
    }
    out[far] = v;
  }
  return out;
}

/** Validates an untrusted object (parsed JSON) as a calibration table. Thresholds must rise strictly as FAR falls. */
export function parseCalibrationTable(raw: unknown): CalibrationTable {
  if (typeof raw !== 'object' || raw === null) fail('not an object');
  const t = raw as Record<string, unknown>;
  for (const key of ['id', 'model', 'pipeline', 'createdAt', 'command', 'rule'] as const) {
    if (typeof t[key] !== 'string' || t[key] === '') fail(`"${key}" must be a non-empty string`);
  }
  if (typeof t.version !== 'number') fail('"version" must be a number');
  if (typeof t.provisional !== 'boolean') fail('"provisional" must be a boolean');
  if (!Array.isArray(t.datasets) || t.datasets.length === 0) fail('"datasets" must be a non-empty array');
  const thresholds = readThresholds(t.thresholds, 'thresholds');
  for (let i = 1; i < FAR_LEVELS.length; i++) {
    if (!(thresholds[FAR_LEVELS[i]!] > thresholds[FAR_LEVELS[i - 1]!])) {
      fail(`thresholds must increase strictly from FAR 1e-1 to 1e-6 (at ${FAR_LEVELS[i]})`);
    }
  }
  t.datasets.forEach((d: unknown, i: number) => {
    if (typeof d !== 'object' || d === null) fail(`datasets[${i}] is not an object`);
    const ds = d as Record<string, unknown>;
    if (typeof ds.name !== 'string') fail(`datasets[${i}].name must be a string`);
    if (typeof ds.impostorPairs !== 'number') fail(`datasets[${i}].impostorPairs must be a number`);
    readThresholds(ds.thresholds, `datasets[${i}].thresholds`);
  });
  return Object.freeze({
    ...(t as unknown as CalibrationTable),
    thresholds: Object.freeze(thresholds),
  });
}

/** The (similarity, score) anchors of the piecewise-linear map, strictly increasing in both. */
export function scoreAnchors(table: CalibrationTable): Array<[similarity: number, score: number]> {
  const anchors: Array<[number, number]> = [[-1, 0]];
  for (const far of FAR_LEVELS) anchors.push([table.thresholds[far], SCORE_AT_FAR[far]]);
  anchors.push([1, 100]);
  return anchors;
}

function interpolate(x: number, anchors: Array<[number, number]>, from: 0 | 1): number {
  const to = from === 0 ? 1 : 0;
  const first = anchors[0]!;
  const last = anchors[anchors.length - 1]!;
  if (x <= first[from]) return first[to];
  if (x >= last[from]) return last[to];
  for (let i = 1; i < anchors.length; i++) {
    const hi = anchors[i]!;
    if (x < hi[from]) {
      const lo = anchors[i - 1]!;
      if (x === lo[from]) return lo[to];
      return lo[to] + ((x - lo[from]) / (hi[from] - lo[from])) * (hi[to] - lo[to]);
    }
  }
  return last[to];
}

/**
 * Maps a cosine similarity (−1…1) to a score (0–100). Exactly 60/70/80/90 at the thresholds for FAR
 * 1e-3/1e-4/1e-5/1e-6. Compare the unrounded score (or the similarity) with a threshold: rounding for display can
 * lift a similarity just below a threshold onto it.
 */
export function scoreFromSimilarity(similarity: number, table: CalibrationTable): number {
  if (Number.isNaN(similarity)) throw new ShirenError('internal', 'Similarity is NaN.');
  return interpolate(similarity, scoreAnchors(table), 0);
}

/** Inverse of `scoreFromSimilarity`: the similarity that maps to `score` (clamped to 0–100). */
export function similarityForScore(score: number, table: CalibrationTable): number {
  if (Number.isNaN(score)) throw new ShirenError('internal', 'Score is NaN.');
  return interpolate(score, scoreAnchors(table), 1);
}

/** The decision score for each vendor FAR level: `{'1e-3': 60, '1e-4': 70, '1e-5': 80, '1e-6': 90}`. */
export function scoreThresholds(table: CalibrationTable): Record<DecisionFarLevel, number> {
  // The scale is fixed by convention; the table only moves the similarities behind it.
  void table;
  return {
    '1e-3': SCORE_AT_FAR['1e-3'],
    '1e-4': SCORE_AT_FAR['1e-4'],
    '1e-5': SCORE_AT_FAR['1e-5'],
    '1e-6': SCORE_AT_FAR['1e-6'],
  };
}

/** The similarity threshold for each vendor FAR level. */
export function similarityThresholds(table: CalibrationTable): Record<DecisionFarLevel, number> {
  const t = table.thresholds;
  return {
    '1e-3': t['1e-3'],
    '1e-4': t['1e-4'],
    '1e-5': t['1e-5'],
    '1e-6': t['1e-6'],
  };
}
