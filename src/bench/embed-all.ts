/**
 * Embeds many image files once, with the engine's face pipeline in N worker threads, and caches the results on disk
 * (outside the repo, default ./data/bench-cache) keyed by a pipeline fingerprint: the recogniser id, the pipeline
 * options and a hash of the engine source files and model files. Any change to the pipeline code or models gives a
 * new key, so stale embeddings are never reused.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FacePipelineOptions } from '../engine/pipeline.js';
import { faceModelPath } from '../engine/models.js';
import { defaultRecogniserSpec } from '../engine/recogniser.js';
import type { EmbedJob, EmbedReply } from './embed-worker.js';
import { createProgress } from './progress.js';

export const EMBEDDING_DIM = 512;

/**
 * Engine files that do NOT influence an embedding; every other non-test `.ts` file of src/engine is hashed into the
 * cache key (so a new pipeline file is covered by default).
 */
const NOT_EMBEDDING = new Set([
  'calibration.ts',
  'index.ts',
  'pool.ts',
  'worker.ts',
  'worker-protocol.ts',
  'liveness.ts',
  'quality.ts',
  'types.ts',
]);
const isEngineSource = (f: string): boolean =>
  /\.(ts|js)$/.test(f) && !/\.test\.(ts|js)$/.test(f) && !/^(eval|frame)-/.test(f) && !f.endsWith('.d.ts');

const here = path.dirname(fileURLToPath(import.meta.url));
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** Fingerprint of the embedding pipeline: model id + hash of engine sources, model files and options. */
export function pipelineFingerprint(options: FacePipelineOptions = {}): {
  key: string;
  modelId: string;
  detail: string;
} {
  const spec = defaultRecogniserSpec();
  const h = createHash('sha256');
  const engineDir = path.join(here, '..', 'engine');
  const files = readdirSync(engineDir)
    .filter((f) => isEngineSource(f) && f.endsWith(ext) && !NOT_EMBEDDING.has(f.replace(/\.js$/, '.ts')))
    .sort();
  for (const f of files) {
    h.update(f);
    h.update(readFileSync(path.join(engineDir, f)));
  }
  for (const m of ['fr_detect', 'fr_landmark', 'fr_feature']) {
    const p = faceModelPath(m);
    h.update(`${m}:${existsSync(p) ? statSync(p).size : 'missing'}`);
  }
  const { modelPath: _modelPath, ...specData } = spec;
  void _modelPath;
  h.update(JSON.stringify({ specData, options }));
  const hash = h.digest('hex').slice(0, 16);
  return {
    key: `${spec.id}-${hash}`,
    modelId: spec.id,
    detail: `${spec.id}; fingerprint ${hash} = sha256 of src/engine/{${files.join(',')}} + model sizes + recogniser spec + options ${JSON.stringify(options)}`,
  };
}

export interface EmbeddingEntry {
  /** Row in the embeddings matrix, or −1 when no embedding (see reason). */
  row: number;
  reason?: string;
  faceCount?: number;
  ms: number;
}

interface CacheIndex {
  key: string;
  dim: number;
  rows: number;
  entries: Record<string, EmbeddingEntry>;
}

/** Embedding cache: `<dir>/<key>.json` (index) + `<key>.f32` (rows of float32). */
export class EmbeddingCache {
  readonly entries = new Map<string, EmbeddingEntry>();
  private data: Float32Array;
  private rows = 0;
  private dirty = false;

  constructor(
    readonly dir: string,
    readonly key: string,
    readonly dim = EMBEDDING_DIM,
  ) {
    this.data = new Float32Array(1024 * dim);
    const idx = path.join(dir, `${key}.json`);
    const bin = path.join(dir, `${key}.f32`);
    if (existsSync(idx) && existsSync(bin)) {
      const index = JSON.parse(readFileSync(idx, 'utf8')) as CacheIndex;
      const buf = readFileSync(bin);
      if (index.key === key && index.dim === dim && buf.byteLength >= index.rows * dim * 4) {
        const rows = new Float32Array(buf.buffer, buf.byteOffset, index.rows * dim);
        this.ensure(index.rows);
        this.data.set(rows);
        this.rows = index.rows;
        for (const [k, e] of Object.entries(index.entries)) this.entries.set(k, e);
      }
    }
  }

  private ensure(rows: number): void {
    if (rows * this.dim <= this.data.length) return;
    const next = new Float32Array(Math.max(rows, (this.data.length / this.dim) * 2) * this.dim);
    next.set(this.data.subarray(0, this.rows * this.dim));
    this.data = next;
  }

  get(key: string): Float32Array | undefined {
    const e = this.entries.get(key);
    if (!e || e.row < 0) return undefined;
    return this.data.subarray(e.row * this.dim, (e.row + 1) * this.dim);
  }

  put(key: string, embedding: Float32Array | undefined, info: Omit<EmbeddingEntry, 'row'>): void {
    let row = -1;
    if (embedding) {
      if (embedding.length !== this.dim)
        throw new Error(`embedding has ${embedding.length} values, expected ${this.dim}`);
      this.ensure(this.rows + 1);
      row = this.rows++;
      this.data.set(embedding, row * this.dim);
    }
    this.entries.set(key, { row, ...info });
    this.dirty = true;
  }

  save(): void {
    if (!this.dirty) return;
    mkdirSync(this.dir, { recursive: true });
    const index: CacheIndex = {
      key: this.key,
      dim: this.dim,
      rows: this.rows,
      entries: Object.fromEntries(this.entries),
    };
    const bin = path.join(this.dir, `${this.key}.f32`);
    const idx = path.join(this.dir, `${this.key}.json`);
    const slice = this.data.subarray(0, this.rows * this.dim);
    writeFileSync(`${bin}.tmp`, new Uint8Array(slice.buffer, slice.byteOffset, slice.byteLength));
    writeFileSync(`${idx}.tmp`, JSON.stringify(index));
    renameSync(`${bin}.tmp`, bin);
    renameSync(`${idx}.tmp`, idx);
    this.dirty = false;
  }

  /** Other cache files in the directory (stale pipeline versions). */
  staleKeys(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json') && f !== `${this.key}.json`)
      .map((f) => f.slice(0, -5));
  }
}

/**
 * Starts the embed worker. Under tsx (running .ts sources) the worker registers the tsx loader itself before importing
 * the TypeScript entry; compiled runs load embed-worker.js directly.
 */
function startWorker(workerData: unknown): Worker {
  const entry = new URL(`./embed-worker${ext}`, import.meta.url);
  if (ext === '.js') return new Worker(entry, { workerData });
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

export interface EmbedAllOptions {
  workers?: number;
  pipeline?: FacePipelineOptions;
  label?: string;
  /** Save the cache every this many new embeddings (default 500). */
  saveEvery?: number;
}

/** Embeds every `{key, file}` not yet in the cache, using `workers` worker threads, with a progress bar. */
export async function embedAll(
  items: Array<{ key: string; file: string }>,
  cache: EmbeddingCache,
  opts: EmbedAllOptions = {},
): Promise<{ embedded: number; failed: number; fromCache: number }> {
  const todo = items.filter((i) => !cache.entries.has(i.key));
  const fromCache = items.length - todo.length;
  let embedded = 0;
  let failed = 0;
  if (todo.length === 0) return { embedded, failed, fromCache };
  const nWorkers = Math.max(1, Math.min(opts.workers ?? 2, todo.length));
  const progress = createProgress(opts.label ?? 'embedding', todo.length);
  const saveEvery = opts.saveEvery ?? 500;
  let next = 0;
  let sinceSave = 0;
  const runOne = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = startWorker({ options: opts.pipeline });
      const send = (): void => {
        if (next >= todo.length) {
          w.postMessage(null);
          return;
        }
        const id = next++;
        w.postMessage({ id, file: todo[id]!.file } satisfies EmbedJob);
      };
      w.on('message', (msg: EmbedReply) => {
        if (msg.type === 'ready') return send();
        const item = todo[msg.id]!;
        if (msg.type === 'ok') {
          cache.put(item.key, msg.embedding, { faceCount: msg.faceCount, ms: msg.ms });
          embedded++;
        } else {
          cache.put(item.key, undefined, { reason: msg.reason, ms: msg.ms });
          failed++;
        }
        if (++sinceSave >= saveEvery) {
          cache.save();
          sinceSave = 0;
        }
        progress.tick();
        send();
      });
      w.on('error', reject);
      w.on('exit', () => resolve());
    });
  try {
    await Promise.all(Array.from({ length: nWorkers }, runOne));
  } finally {
    cache.save();
    progress.done();
  }
  return { embedded, failed, fromCache };
}
