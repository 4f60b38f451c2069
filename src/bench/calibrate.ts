/**
 * Full score calibration (`shiren bench --calibrate`): embeds every LFW and asian-faces image with the engine's
 * pipeline (cached), measures the impostor similarity distribution over ALL cross-identity pairs of each, takes at each
 * FAR the stricter threshold, writes src/engine/calibration/<id>.json, and measures out-of-sample pass rates on
 * East-Asian identities held out of the calibration. See docs/calibration.md.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FAR_LEVELS,
  scoreFromSimilarity,
  SCORE_AT_FAR,
  type CalibrationDataset,
  type CalibrationTable,
  type DecisionFarLevel,
  type FarThresholds,
} from '../engine/calibration.js';
import { defaultRecogniserSpec } from '../engine/recogniser.js';
import { buildCalibrationTable } from './calibration-table.js';
import {
  buildCorpus,
  labelSuspects,
  genuineSimilarities,
  identityCount,
  identityHalf,
  impostorStats,
  subCorpus,
  topImpostorPairs,
  type Corpus,
} from './corpus.js';
import { listAsianFaces, listLfw, type AsianFaces, type BenchImage } from './datasets.js';
import { EmbeddingCache, embedAll, pipelineFingerprint } from './embed-all.js';
import { mergeReviewed, REVIEWED_MISLABELLED } from './reviewed-labels.js';
import { accumulateImpostors, ImpostorStats, passRate } from './metrics.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Log {
  (line: string): void;
}

export interface LoadedData {
  lfw: Corpus;
  lfwImages: BenchImage[];
  asian: Corpus;
  asianFaces: AsianFaces;
  personOf: (identity: string) => string;
  cache: EmbeddingCache;
  fingerprint: ReturnType<typeof pipelineFingerprint>;
}

export interface LoadOptions {
  dataDir: string;
  cacheDir: string;
  workers: number;
  /** Keep only every n-th image of each identity (1 = all). */
  sample?: (img: BenchImage, index: number) => boolean;
  log: Log;
}

/** Lists the datasets, embeds what is not cached, and builds the LFW and East-Asian corpora. */
export async function loadEmbeddedData(opts: LoadOptions): Promise<LoadedData> {
  const fingerprint = pipelineFingerprint();
  const cache = new EmbeddingCache(opts.cacheDir, fingerprint.key);
  const stale = cache.staleKeys();
  if (stale.length) opts.log(`(ignoring ${stale.length} cache file(s) of other pipeline versions in ${opts.cacheDir})`);
  const keep = opts.sample ?? (() => true);
  const lfwImages = listLfw(opts.dataDir).filter(keep);
  const asianFaces = listAsianFaces(opts.dataDir);
  mergeReviewed(asianFaces.person);
  const mislabelled = new Set(REVIEWED_MISLABELLED.map((m) => m.key));
  asianFaces.images = asianFaces.images.filter((img) => !mislabelled.has(img.key));
  asianFaces.images = asianFaces.images.filter(keep);
  const all = [...lfwImages, ...asianFaces.images];
  opts.log(
    `pipeline ${fingerprint.key}; ${all.length} images (${lfwImages.length} LFW, ${asianFaces.images.length} East-Asian)`,
  );
  const r = await embedAll(all, cache, { workers: opts.workers, label: 'embedding' });
  opts.log(`embedded ${r.embedded} new, ${r.failed} without face, ${r.fromCache} from cache (${opts.cacheDir})`);
  const personOf = (id: string): string => asianFaces.person.get(id) ?? id;
  return {
    lfw: buildCorpus(lfwImages, cache),
    lfwImages,
    asian: buildCorpus(asianFaces.images, cache, personOf),
    asianFaces,
    personOf,
    cache,
    fingerprint,
  };
}

function topKFor(c: Corpus): number {
  const n = c.labels.length;
  return Math.max(16, Math.ceil(1e-3 * ((n * (n - 1)) / 2)) + 2);
}

export function datasetThresholds(stats: ImpostorStats): { thresholds: FarThresholds; exact: string[] } {
  const thresholds = {} as FarThresholds;
  const exact: string[] = [];
  for (const far of FAR_LEVELS) {
    const r = stats.thresholdAtFar(Number(far));
    thresholds[far] = r.threshold;
    if (r.exact) exact.push(far);
  }
  return { thresholds, exact };
}

function describe(name: string, description: string, c: Corpus, stats: ImpostorStats): CalibrationDataset {
  const { thresholds } = datasetThresholds(stats);
  return {
    name,
    description,
    images: c.listed,
    embedded: c.images.length,
    identities: identityCount(c),
    impostorPairs: stats.total,
    thresholds,
  };
}

export interface HoldoutRow {
  calibratedOn: string;
  testedOn: string;
  testImpostorPairs: number;
  testGenuinePairs: number;
  thresholds: FarThresholds;
  /** score → {impostorPass, genuinePass} on the held-out half. */
  rates: Record<
    DecisionFarLevel,
    { score: number; similarity: number; impostorPass: number; impostorCount: number; genuinePass: number }
  >;
}

const DECISION: DecisionFarLevel[] = ['1e-3', '1e-4', '1e-5', '1e-6'];

export function decisionRates(
  table: CalibrationTable,
  impostors: { count(t: number): number; total: number },
  genuine: Float64Array,
): HoldoutRow['rates'] {
  const rates = {} as HoldoutRow['rates'];
  for (const far of DECISION) {
    const t = table.thresholds[far];
    const n = impostors.count(t);
    rates[far] = {
      score: SCORE_AT_FAR[far],
      similarity: t,
      impostorPass: impostors.total ? n / impostors.total : NaN,
      impostorCount: n,
      genuinePass: passRate(genuine, t),
    };
  }
  return rates;
}

/** All impostor similarities of a (small) corpus, sorted descending, with an exact ≥ count. */
export function exactImpostors(c: Corpus): { count(t: number): number; total: number } {
  const stats = new ImpostorStats({ topK: Math.max(16, (c.labels.length * (c.labels.length - 1)) / 2) });
  accumulateImpostors(c.matrix, c.dim, c.labels, stats);
  const sorted = stats.sortedTop();
  return {
    total: stats.total,
    count(t: number) {
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! >= t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
  };
}

export interface CalibrationResult {
  table: CalibrationTable;
  holdout: HoldoutRow[];
  topAsianImpostors: Array<{ a: string; b: string; similarity: number; score: number }>;
  labelSuspects: ReturnType<typeof labelSuspects>;
  lfwStats: ImpostorStats;
  asianStats: ImpostorStats;
  file: string;
}

export async function runCalibration(
  data: LoadedData,
  opts: { command: string; provisional: boolean; write: boolean; log: Log },
): Promise<CalibrationResult> {
  const { log } = opts;
  let t0 = performance.now();
  const lfwStats = impostorStats(data.lfw, topKFor(data.lfw));
  log(`LFW: ${lfwStats.total} impostor pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  const asianStats = impostorStats(data.asian, topKFor(data.asian));
  log(`East-Asian: ${asianStats.total} impostor pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const lfwDs = describe(
    'lfw',
    'LFW deep-funneled, every image; impostors = all pairs of images of different people',
    data.lfw,
    lfwStats,
  );
  const asianDs = describe(
    'asian-faces',
    'all asian-faces folders (Thai identity excluded); impostors = all pairs of different people across and within folders; the same person in several folders or under two names (CROSS_SOURCE_IDENTITIES.csv + src/bench/reviewed-labels.ts) is not an impostor',
    data.asian,
    asianStats,
  );
  const notes = [
    `East-Asian impostor pairs: ${asianStats.total}; FAR 1e-5 rests on ${Math.floor(1e-5 * asianStats.total)} pairs and FAR 1e-6 on ${Math.floor(1e-6 * asianStats.total)} pairs above the threshold.`,
    `LFW impostor pairs: ${lfwStats.total}; FAR 1e-6 rests on ${Math.floor(1e-6 * lfwStats.total)} pairs.`,
    'Thresholds at FAR <= 1e-3 are exact (kept top-K); at 1e-1 and 1e-2 they come from a 1e-4-wide histogram, rounded up to the bin edge.',
    'Embedding pipeline fingerprint: ' + data.fingerprint.detail,
  ];
  const table = buildCalibrationTable({
    id: data.fingerprint.modelId,
    version: 1,
    provisional: opts.provisional,
    model: data.fingerprint.modelId,
    pipeline: `engine createFacePipeline() defaults (fr_detect, fr_landmark + face-mesh five points, alignment to the 112x112 template, fr_feature, flip augmentation ${defaultRecogniserSpec().flipAugment ? 'on' : 'off'}), L2-normalised, cosine similarity (${data.fingerprint.key})`,
    command: opts.command,
    datasets: [lfwDs, asianDs],
    notes,
  });
  for (const [ds, stats] of [
    [table.datasets[0]!, lfwStats],
    [table.datasets[1]!, asianStats],
  ] as const) {
    ds.impostorsAtOrAboveChosen = {};
    for (const far of FAR_LEVELS) ds.impostorsAtOrAboveChosen[far] = stats.countAtOrAbove(table.thresholds[far]).count;
  }

  // Out-of-sample: calibrate on LFW + one half of the East-Asian people, test on the other half.
  const holdout: HoldoutRow[] = [];
  for (const h of [0, 1] as const) {
    const inHalf = (img: BenchImage): boolean => identityHalf(data.personOf(img.identity)) === h;
    const calib = subCorpus(data.asian, (img) => inHalf(img));
    const test = subCorpus(data.asian, (img) => !inHalf(img));
    const calibStats = impostorStats(calib, topKFor(calib));
    const halfTable = buildCalibrationTable({
      id: 'holdout',
      version: 0,
      provisional: true,
      model: table.model,
      pipeline: table.pipeline,
      command: opts.command,
      datasets: [lfwDs, describe(`asian-half-${h}`, 'half of the East-Asian people', calib, calibStats)],
    });
    const imp = exactImpostors(test);
    const gen = genuineSimilarities(test, data.asianFaces.nearDuplicates);
    holdout.push({
      calibratedOn: `LFW + East-Asian half ${h} (${identityCount(calib)} people, ${calibStats.total} impostor pairs)`,
      testedOn: `East-Asian half ${1 - h} (${identityCount(test)} people)`,
      testImpostorPairs: imp.total,
      testGenuinePairs: gen.length,
      thresholds: halfTable.thresholds,
      rates: decisionRates(halfTable, imp, gen),
    });
  }

  const topAsianImpostors = topImpostorPairs(data.asian, 10).map((p) => ({
    ...p,
    score: scoreFromSimilarity(p.similarity, table),
  }));
  const file = path.join(repoRoot, 'src', 'engine', 'calibration', `${table.id}.json`);
  if (opts.write) writeFileSync(file, JSON.stringify(table, null, 2) + '\n');
  return { table, holdout, topAsianImpostors, labelSuspects: labelSuspects(data.asian), lfwStats, asianStats, file };
}
