/**
 * The benchmark behind `shiren bench`: accuracy on LFW (10-fold, TAR at FAR), detection rate, East-Asian impostor and
 * genuine pass rates at the calibrated score thresholds (per dataset and on held-out people), per-stage latency,
 * end-to-end compare latency and throughput with the engine pool, and peak RSS. Prints tables; returns a JSON report.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import sharp from 'sharp';
import { loadCalibration, type CalibrationTable, type DecisionFarLevel } from '../engine/calibration.js';
import { createFacePipeline } from '../engine/pipeline.js';
import { cosineSimilarity } from '../engine/recogniser.js';
import {
  decisionRates,
  exactImpostors,
  loadEmbeddedData,
  runCalibration,
  type HoldoutRow,
  type LoadedData,
  type Log,
} from './calibrate.js';
import { genuineSimilarities, subCorpus } from './corpus.js';
import { readLfwPairs, type BenchImage, type LfwPair } from './datasets.js';
import { percentile, tenFoldAccuracy, thresholdAtFar, passRate, type LabelledPair } from './metrics.js';
import { createProgress } from './progress.js';

export interface BenchOptions {
  dataDir: string;
  cacheDir: string;
  workers: number;
  quick: boolean;
  calibrate: boolean;
  command: string;
  log: Log;
}

const pct = (x: number, digits = 2): string => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : 'n/a');

/** Renders rows as an aligned Markdown table. */
export function markdownTable(head: string[], rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(cells[0]!), `| ${w.map((n) => '-'.repeat(n)).join(' | ')} |`, ...cells.slice(1).map(line)].join('\n');
}

const STAGES = ['decode', 'detect', 'landmarks', 'align', 'embed', 'orientation', 'total'] as const;
type Stage = (typeof STAGES)[number];
type StageTimes = Record<Stage, number[]>;

const DECISION: DecisionFarLevel[] = ['1e-3', '1e-4', '1e-5', '1e-6'];

function lfwPairSims(data: LoadedData, pairs: LfwPair[]): LabelledPair[] {
  return pairs.map((p) => {
    const a = data.cache.get(p.a);
    const b = data.cache.get(p.b);
    let s = -1;
    if (a && b) {
      s = 0;
      for (let d = 0; d < a.length; d++) s += a[d]! * b[d]!;
    }
    return { similarity: s, same: p.same, fold: p.fold };
  });
}

/** Makes a 640×480 JPEG "selfie" from a dataset image: scaled to 480 px high, padded left/right. */
async function selfie(file: string): Promise<Uint8Array> {
  const buf = await sharp(file)
    .resize(480, 480, { fit: 'cover' })
    .extend({ left: 80, right: 80, background: { r: 128, g: 128, b: 128 } })
    .jpeg({ quality: 90 })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Per-stage wall-clock times reported by the pipeline (`analyse().timings`), one thread, images analysed in turn. */
async function measureStages(files: string[], log: Log): Promise<StageTimes> {
  const pipeline = await createFacePipeline();
  const t = Object.fromEntries(STAGES.map((s) => [s, [] as number[]])) as StageTimes;
  const progress = createProgress('latency', files.length);
  try {
    for (const f of files) {
      try {
        const r = await pipeline.analyse(new Uint8Array(readFileSync(f)));
        for (const s of STAGES) t[s].push(r.timings[s]);
      } catch {
        // no face: not a latency sample
      }
      progress.tick();
    }
  } finally {
    progress.done();
    await pipeline.close();
  }
  log(`stage latency on ${t.total.length} images`);
  return t;
}

interface EngineBench {
  workers: number;
  compares: number;
  seconds: number;
  perSecond: number;
  latencyP50: number;
  latencyP95: number;
  /** Compares that threw (e.g. no face in a synthetic selfie). */
  failures: number;
}

async function measureEngine(
  selfies: Array<[Uint8Array, Uint8Array]>,
  workers: number,
  rounds: number,
): Promise<EngineBench> {
  const { createFaceEngine } = await import('../engine/index.js');
  const engine = await createFaceEngine({ workers, queueLimit: 64 });
  try {
    // warm-up
    for (const [a, b] of selfies.slice(0, 2)) await engine.compare(a, b);
    // sequential: end-to-end latency of one compare
    const lat: number[] = [];
    let failures = 0;
    for (const [a, b] of selfies) {
      const t0 = performance.now();
      try {
        await engine.compare(a, b);
        lat.push(performance.now() - t0);
      } catch {
        failures++;
      }
    }
    // throughput: keep 2 × workers compares in flight
    const jobs = Array.from({ length: rounds * selfies.length }, (_, i) => selfies[i % selfies.length]!);
    let next = 0;
    const t0 = performance.now();
    const lane = async (): Promise<void> => {
      while (next < jobs.length) {
        const [a, b] = jobs[next++]!;
        await engine.compare(a, b).catch(() => failures++);
      }
    };
    await Promise.all(Array.from({ length: workers * 2 }, lane));
    const seconds = (performance.now() - t0) / 1000;
    return {
      workers,
      compares: jobs.length,
      seconds,
      perSecond: jobs.length / seconds,
      latencyP50: percentile(lat, 50),
      latencyP95: percentile(lat, 95),
      failures,
    };
  } finally {
    await engine.close();
  }
}

export interface BenchReport {
  machine: {
    cpus: number;
    cpuModel: string;
    memGiB: number;
    node: string;
    loadAvgAtStart: number[];
    loadAvgAtEnd: number[];
  };
  calibration: { id: string; version: number; provisional: boolean; thresholds: CalibrationTable['thresholds'] };
  lfw: {
    images: number;
    faceFound: number;
    detectionRate: number;
    failures: Record<string, number>;
    tenFold: { mean: number; std: number };
    pairsWithoutFace: number;
    tar: Array<{ impostors: string; far: string; threshold: number; tar: number; impostorPairs: number }>;
  };
  asian: Array<{
    dataset: string;
    images: number;
    faceFound: number;
    genuinePairs: number;
    impostorPairs: number;
    rates: HoldoutRow['rates'];
  }>;
  holdout: HoldoutRow[];
  topAsianImpostors: Array<{ a: string; b: string; similarity: number; score: number }>;
  labelSuspects: Array<{ key: string; own: number; other: string; otherMean: number }>;
  stages: Record<Stage, { p50: number; p95: number; n: number }>;
  pipelineCompare: { p50: number; p95: number; n: number };
  /** Median similarity of the synthetic selfie pairs (same person): a sanity check that the compare did real work. */
  selfieSimilarityP50: number;
  engine: EngineBench[];
  peakRssMiB: number;
}

/** --quick: the first 30 matched and 30 mismatched pairs of every fold of pairs.txt. */
export function quickPairs(pairs: LfwPair[]): LfwPair[] {
  const seen = new Map<string, number>();
  return pairs.filter((p) => {
    const k = `${p.fold}:${p.same}`;
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    return n < 30;
  });
}

/** --quick: LFW images of the quick pairs, and at most 3 images per East-Asian identity. */
export function quickSample(pairs: LfwPair[]): (img: BenchImage) => boolean {
  const lfwKeys = new Set(pairs.flatMap((p) => [p.a, p.b]));
  const perIdentity = new Map<string, number>();
  return (img) => {
    if (img.set === 'lfw') return lfwKeys.has(img.key);
    const n = perIdentity.get(img.identity) ?? 0;
    perIdentity.set(img.identity, n + 1);
    return n < 3;
  };
}

export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const { log } = opts;
  const loadAvgAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const pairs = readLfwPairs(opts.dataDir);
  const usable = opts.quick ? quickPairs(pairs) : pairs;
  const sample = opts.quick ? quickSample(usable) : undefined;
  const data = await loadEmbeddedData({
    dataDir: opts.dataDir,
    cacheDir: opts.cacheDir,
    workers: opts.workers,
    log,
    ...(sample ? { sample: (img) => sample(img) } : {}),
  });

  const cal = await runCalibration(data, {
    command: opts.command,
    provisional: opts.quick,
    write: opts.calibrate && !opts.quick,
    log,
  });
  if (opts.calibrate && !opts.quick) log(`calibration table written: ${cal.file}`);
  const table = opts.calibrate ? cal.table : loadCalibration(data.fingerprint.modelId);

  // LFW
  const sims = lfwPairSims(data, usable);
  const tenFold = tenFoldAccuracy(sims);
  const genuine = sims.filter((p) => p.same).map((p) => p.similarity);
  const mismatched = sims.filter((p) => !p.same).map((p) => p.similarity);
  const tar: BenchReport['lfw']['tar'] = [];
  for (const far of ['1e-3', '1e-4']) {
    const t1 = thresholdAtFar(mismatched, Number(far));
    tar.push({
      impostors: 'pairs.txt mismatched',
      far,
      threshold: t1,
      tar: passRate(genuine, t1),
      impostorPairs: mismatched.length,
    });
    const t2 = cal.lfwStats.thresholdAtFar(Number(far)).threshold;
    tar.push({
      impostors: 'all cross-identity',
      far,
      threshold: t2,
      tar: passRate(genuine, t2),
      impostorPairs: cal.lfwStats.total,
    });
  }
  const lfwFound = data.lfw.images.length;

  // East-Asian per dataset, at the calibrated thresholds
  const asian: BenchReport['asian'] = [];
  const folders = [...new Set(data.asianFaces.images.map((i) => i.set))];
  for (const folder of [...folders, 'all']) {
    const c = folder === 'all' ? data.asian : subCorpus(data.asian, (img) => img.set === folder);
    const listed =
      folder === 'all' ? data.asianFaces.images.length : data.asianFaces.images.filter((i) => i.set === folder).length;
    const gen = genuineSimilarities(c, data.asianFaces.nearDuplicates);
    const imp = exactImpostors(c);
    asian.push({
      dataset: folder,
      images: listed,
      faceFound: c.images.length,
      genuinePairs: gen.length,
      impostorPairs: imp.total,
      rates: decisionRates(table, imp, gen),
    });
  }

  // Latency
  const stageFiles = [
    ...data.lfwImages.filter((_, i) => i % Math.ceil(data.lfwImages.length / 60) === 0),
    ...data.asianFaces.images.filter((_, i) => i % Math.ceil(data.asianFaces.images.length / 40) === 0),
  ].map((i) => i.file);
  const stageTimes = await measureStages(opts.quick ? stageFiles.slice(0, 30) : stageFiles, log);
  const summary = (v: number[]): { p50: number; p95: number; n: number } => ({
    p50: percentile(v, 50),
    p95: percentile(v, 95),
    n: v.length,
  });

  const selfiePairs: Array<[Uint8Array, Uint8Array]> = [];
  // Genuine pairs.txt pairs whose both images have a face (so every compare succeeds).
  for (const p of pairs
    .filter((q) => q.same && data.cache.get(q.a) && data.cache.get(q.b))
    .slice(0, opts.quick ? 8 : 20)) {
    selfiePairs.push([await selfie(`${opts.dataDir}/${p.a}`), await selfie(`${opts.dataDir}/${p.b}`)]);
  }
  // In-process (one thread) compare: both images analysed one after the other.
  const pipeline = await createFacePipeline();
  const inproc: number[] = [];
  const selfieSims: number[] = [];
  try {
    for (const [a, b] of selfiePairs) {
      const t0 = performance.now();
      const [ea, eb] = [(await pipeline.analyse(a)).embedding, (await pipeline.analyse(b)).embedding];
      selfieSims.push(cosineSimilarity(ea, eb));
      inproc.push(performance.now() - t0);
    }
  } finally {
    await pipeline.close();
  }

  const engine: EngineBench[] = [];
  if (existsSync(new URL(`../engine/index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url))) {
    for (const w of [1, 2]) {
      log(`engine pool, ${w} worker(s)…`);
      engine.push(await measureEngine(selfiePairs, w, opts.quick ? 1 : 3));
    }
  }

  return {
    machine: {
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAvgAtStart,
      loadAvgAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    },
    calibration: { id: table.id, version: table.version, provisional: table.provisional, thresholds: table.thresholds },
    lfw: {
      images: data.lfw.listed,
      faceFound: lfwFound,
      detectionRate: lfwFound / data.lfw.listed,
      failures: data.lfw.failures,
      tenFold: { mean: tenFold.mean, std: tenFold.std },
      pairsWithoutFace: sims.filter((p) => p.similarity === -1).length,
      tar,
    },
    asian,
    holdout: cal.holdout,
    topAsianImpostors: cal.topAsianImpostors,
    labelSuspects: cal.labelSuspects,
    stages: Object.fromEntries(STAGES.map((st) => [st, summary(stageTimes[st])])) as BenchReport['stages'],
    pipelineCompare: summary(inproc),
    selfieSimilarityP50: percentile(selfieSims, 50),
    engine,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** The project's targets, each with the measured value and whether it is met. */
export function targetRows(r: BenchReport): Array<[string, string, string]> {
  const rows: Array<[string, string, string]> = [];
  const yes = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  rows.push(['LFW 10-fold accuracy ≥ 99.3 %', pct(r.lfw.tenFold.mean), yes(r.lfw.tenFold.mean >= 0.993)]);
  for (const t of r.lfw.tar.filter((x) => x.far === '1e-3')) {
    rows.push([`TAR ≥ 97 % at FAR 1e-3 (${t.impostors} impostors)`, pct(t.tar), yes(t.tar >= 0.97)]);
  }
  rows.push(['face found in ≥ 99.9 % of LFW images', pct(r.lfw.detectionRate, 3), yes(r.lfw.detectionRate >= 0.999)]);
  const all = r.asian.find((a) => a.dataset === 'all');
  if (all) {
    const x = all.rates['1e-4'];
    rows.push([
      'East-Asian, score 70, in-sample: impostor pass ≤ 0.1 %',
      pct(x.impostorPass, 4),
      yes(x.impostorPass <= 0.001),
    ]);
    rows.push(['East-Asian, score 70, in-sample: genuine pass ≥ 95 %', pct(x.genuinePass), yes(x.genuinePass >= 0.95)]);
  }
  for (const h of r.holdout) {
    const x = h.rates['1e-4'];
    rows.push([
      `East-Asian, score 70, held out (${h.testedOn}): impostor pass ≤ 0.1 %`,
      pct(x.impostorPass, 4),
      yes(x.impostorPass <= 0.001),
    ]);
    rows.push([
      `East-Asian, score 70, held out (${h.testedOn}): genuine pass ≥ 95 %`,
      pct(x.genuinePass),
      yes(x.genuinePass >= 0.95),
    ]);
  }
  const two = r.engine.find((e) => e.workers === 2);
  if (two) {
    rows.push([
      'compare p50 ≤ 80 ms (engine, 2 workers, 640×480 JPEGs)',
      `${two.latencyP50.toFixed(1)} ms`,
      yes(two.latencyP50 <= 80),
    ]);
    rows.push(['≥ 25 compares/s with 2 cores', two.perSecond.toFixed(1), yes(two.perSecond >= 25)]);
  }
  return rows;
}

/** Human-readable tables of a report (Markdown, also used in docs/benchmarks.md). */
export function formatReport(r: BenchReport): string {
  const out: string[] = [];
  out.push(
    `Machine: ${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.memGiB} GiB RAM, Node ${r.machine.node}`,
  );
  out.push(
    `Calibration: ${r.calibration.id} v${r.calibration.version}${r.calibration.provisional ? ' (PROVISIONAL)' : ''}; similarity at score 60/70/80/90: ` +
      DECISION.map((f) => r.calibration.thresholds[f].toFixed(4)).join(' / '),
  );
  out.push('', '### Targets', '');
  out.push(markdownTable(['target', 'measured', ''], targetRows(r)));
  out.push('', '### LFW (deep-funneled)', '');
  out.push(
    markdownTable(
      ['metric', 'value'],
      [
        ['images', r.lfw.images],
        ['face found', `${r.lfw.faceFound} (${pct(r.lfw.detectionRate, 3)})`],
        ['no embedding, by reason', JSON.stringify(r.lfw.failures)],
        ['10-fold accuracy (pairs.txt)', `${pct(r.lfw.tenFold.mean)} ± ${pct(r.lfw.tenFold.std)}`],
        ['pairs.txt pairs with an image without face (scored −1)', r.lfw.pairsWithoutFace],
      ],
    ),
  );
  out.push('');
  out.push(
    markdownTable(
      ['impostors', 'impostor pairs', 'FAR', 'similarity threshold', 'TAR (pairs.txt genuine)'],
      r.lfw.tar.map((t) => [t.impostors, t.impostorPairs, t.far, t.threshold.toFixed(4), pct(t.tar)]),
    ),
  );
  out.push(
    '',
    '### East-Asian sets at the calibrated score thresholds (in-sample: these images are in the calibration)',
    '',
  );
  const rows: Array<Array<string | number>> = [];
  for (const a of r.asian) {
    for (const f of DECISION) {
      const x = a.rates[f];
      rows.push([
        a.dataset,
        `${a.faceFound}/${a.images}`,
        x.score,
        `${pct(x.impostorPass, 4)} (${x.impostorCount}/${a.impostorPairs})`,
        `${pct(x.genuinePass)} of ${a.genuinePairs}`,
      ]);
    }
  }
  out.push(markdownTable(['dataset', 'face found', 'score ≥', 'impostor pass', 'genuine pass'], rows));
  out.push('', '### East-Asian held-out people (out-of-sample)', '');
  const hrows: Array<Array<string | number>> = [];
  for (const h of r.holdout) {
    for (const f of DECISION) {
      const x = h.rates[f];
      hrows.push([
        h.calibratedOn,
        h.testedOn,
        x.score,
        x.similarity.toFixed(4),
        `${pct(x.impostorPass, 4)} (${x.impostorCount}/${h.testImpostorPairs})`,
        `${pct(x.genuinePass)} of ${h.testGenuinePairs}`,
      ]);
    }
  }
  out.push(
    markdownTable(['calibrated on', 'tested on', 'score ≥', 'similarity', 'impostor pass', 'genuine pass'], hrows),
  );
  out.push('', '### Highest-scoring East-Asian impostor pairs (review by hand: same person under two names?)', '');
  out.push(
    markdownTable(
      ['a', 'b', 'similarity', 'score'],
      r.topAsianImpostors.map((p) => [
        p.a.replace('asian-faces/', ''),
        p.b.replace('asian-faces/', ''),
        p.similarity.toFixed(4),
        p.score.toFixed(1),
      ]),
    ),
  );
  out.push('', '### Label-consistency suspects (closer on average to another identity of the same folder)', '');
  out.push(
    markdownTable(
      ['image', 'mean sim. own identity', 'closest other identity', 'mean sim. other'],
      r.labelSuspects
        .slice(0, 15)
        .map((x) => [
          x.key.replace('asian-faces/', ''),
          x.own.toFixed(3),
          x.other.replace('asian-faces/', ''),
          x.otherMean.toFixed(3),
        ]),
    ),
  );
  out.push(`(${r.labelSuspects.length} suspects in all; the list is in the JSON report)`);
  out.push('', '### Latency and throughput', '');
  const ms = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'n/a');
  const stageNames: Record<Stage, string> = {
    decode: 'decode (checks, header, sharp decode, EXIF)',
    detect: 'detect (fr_detect)',
    landmarks: 'landmarks (fr_landmark + face mesh)',
    align: 'align (warp to 112×112)',
    embed: 'embed (fr_feature; + mirror pass when flip is on)',
    orientation: 'of which rotated copies',
    total: 'total analyse() of one image',
  };
  const lrows: Array<Array<string | number>> = STAGES.map((st) => [
    stageNames[st],
    ms(r.stages[st].p50),
    ms(r.stages[st].p95),
    r.stages[st].n,
  ]);
  lrows.push([
    'compare 2 × 640×480 JPEG, in-process, 1 thread',
    ms(r.pipelineCompare.p50),
    ms(r.pipelineCompare.p95),
    r.pipelineCompare.n,
  ]);
  for (const e of r.engine) {
    lrows.push([
      `compare 640×480 JPEGs via engine pool, ${e.workers} worker(s), sequential`,
      ms(e.latencyP50),
      ms(e.latencyP95),
      e.compares,
    ]);
  }
  out.push(markdownTable(['stage', 'p50', 'p95', 'n'], lrows));
  out.push('');
  out.push(
    markdownTable(
      ['engine workers', 'compares', 'failed', 'seconds', 'compares/s'],
      r.engine.map((e) => [e.workers, e.compares, e.failures, e.seconds.toFixed(1), e.perSecond.toFixed(1)]),
    ),
  );
  out.push('', `Peak RSS: ${r.peakRssMiB} MiB`);
  return out.join('\n');
}
