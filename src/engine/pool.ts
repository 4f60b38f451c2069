/**
 * A fixed pool of inference workers with a bounded FIFO queue.
 *
 * - Each worker loads the models once and runs one job at a time.
 * - When `queueLimit` jobs are already waiting, new jobs are rejected at once with `engine_busy` (retryAfter 1 s).
 * - Each job has a deadline (`timeoutMs`, counted from submission) and may carry an AbortSignal; a job that gives up
 *   while queued leaves the queue, one that gives up while running is answered `timeout` and its late result dropped.
 * - Image bytes are copied to the worker; with `transferInputs` those that own their whole ArrayBuffer are moved instead.
 * - A worker that dies fails its running job with `engine_unavailable` and is replaced.
 */
import { Worker } from 'node:worker_threads';
import { ShirenError } from '../errors.js';
import type {
  JobOp,
  JobOptions,
  JobRequest,
  JobResult,
  WorkerInfo,
  WorkerInit,
  WorkerMessage,
} from './worker-protocol.js';

export interface EngineLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface WorkerPoolOptions {
  workers: number;
  queueLimit: number;
  timeoutMs: number;
  init: WorkerInit;
  logger?: EngineLogger;
  /**
   * Transfer (detach) the caller's `Uint8Array` buffer to the worker when the view covers its whole, non-shared
   * ArrayBuffer. Saves a copy; the caller must not use the bytes afterwards. Default false (inputs are copied).
   */
  transferInputs?: boolean;
}

export interface PoolStats {
  workers: number;
  busy: number;
  queued: number;
  queueLimit: number;
}

export interface WorkerPool {
  run(op: JobOp, input: Uint8Array | string, opts: JobOptions, signal?: AbortSignal): Promise<JobResult>;
  stats(): PoolStats;
  readonly info: WorkerInfo;
  close(): Promise<void>;
}

interface Job {
  id: number;
  request: JobRequest;
  transfer: ArrayBuffer[];
  resolve(result: JobResult): void;
  reject(err: Error): void;
  settled: boolean;
  cleanup(): void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  ready: boolean;
}

/**
 * Starts a worker on the compiled `worker.js` in dist, or on the `worker.ts` source when this module itself runs
 * from source under tsx (tests, dev). Node 20 does not apply the parent's `--import tsx` loader hooks to worker
 * threads, so the source variant boots through a tiny ESM stub that registers tsx first.
 */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const stub = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(stub)}`), { workerData: init });
}

export async function createWorkerPool(options: WorkerPoolOptions): Promise<WorkerPool> {
  const { queueLimit, timeoutMs, logger } = options;
  const transferInputs = options.transferInputs ?? false;
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closing = false;
  let info: WorkerInfo | undefined;

  function spawn(): Promise<Slot> {
    return new Promise((resolve, reject) => {
      const worker = startWorker(options.init);
      const slot: Slot = { worker, job: undefined, ready: false };
      worker.on('message', (msg: WorkerMessage) => {
        switch (msg.type) {
          case 'ready':
            slot.ready = true;
            info ??= msg.info;
            resolve(slot);
            dispatch();
            break;
          case 'init_error':
            reject(new ShirenError('engine_unavailable', `Face engine worker failed to start: ${msg.message}`));
            void worker.terminate();
            break;
          case 'log':
            logger?.[msg.level]({ component: 'engine-worker', ...msg.data }, msg.message);
            break;
          case 'result':
          case 'error': {
            const job = slot.job;
            slot.job = undefined;
            if (job && job.id === msg.id && !job.settled) {
              job.settled = true;
              job.cleanup();
              if (msg.type === 'result') job.resolve(msg.result);
              else if (msg.error.reason) {
                job.reject(
                  new ShirenError(msg.error.reason, msg.error.message, {
                    details: msg.error.details,
                  }),
                );
              } else {
                logger?.error({ component: 'engine', err: msg.error.message }, 'engine job failed');
                job.reject(new ShirenError('internal', msg.error.message));
              }
            }
            dispatch();
            break;
          }
        }
      });
      worker.on('error', (err) => {
        logger?.error({ component: 'engine', err: err.message }, 'engine worker crashed');
        if (!slot.ready) reject(new ShirenError('engine_unavailable', `Face engine worker failed: ${err.message}`));
      });
      worker.on('exit', (code) => {
        const index = slots.indexOf(slot);
        if (index >= 0) slots.splice(index, 1);
        const job = slot.job;
        slot.job = undefined;
        if (job && !job.settled) {
          job.settled = true;
          job.cleanup();
          job.reject(new ShirenError('engine_unavailable', `Face engine worker exited (code ${code}).`));
        }
        if (!closing && slot.ready) {
          logger?.warn({ component: 'engine', code }, 'engine worker exited; starting a new one');
          spawn().then(
            (s) => slots.push(s),
            (err: unknown) => logger?.error({ component: 'engine', err: String(err) }, 'engine worker restart failed'),
          );
        }
      });
    });
  }

  function dispatch(): void {
    while (queue.length > 0) {
      const slot = slots.find((s) => s.ready && !s.job);
      if (!slot) return;
      const job = queue.shift()!;
      if (job.settled) continue;
      slot.job = job;
      slot.worker.postMessage(job.request, job.transfer);
    }
  }

  const started = await Promise.allSettled(Array.from({ length: options.workers }, () => spawn()));
  for (const s of started) if (s.status === 'fulfilled') slots.push(s.value);
  const failure = started.find((s) => s.status === 'rejected');
  if (failure) {
    closing = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw failure.reason;
  }

  return {
    get info() {
      return info!;
    },
    stats() {
      return {
        workers: slots.length,
        busy: slots.filter((s) => s.job).length,
        queued: queue.filter((j) => !j.settled).length,
        queueLimit,
      };
    },
    run(op, input, opts, signal) {
      if (closing) return Promise.reject(new ShirenError('engine_unavailable', 'The face engine is closed.'));
      if (signal?.aborted) return Promise.reject(abortError(signal));
      const idle = slots.some((s) => s.ready && !s.job);
      if (!idle && queue.length >= queueLimit) {
        return Promise.reject(
          new ShirenError('engine_busy', undefined, {
            retryAfter: 1,
            details: { queueLimit },
          }),
        );
      }
      return new Promise<JobResult>((resolve, reject) => {
        const id = nextId++;
        const transfer: ArrayBuffer[] = [];
        if (
          transferInputs &&
          input instanceof Uint8Array &&
          input.buffer instanceof ArrayBuffer &&
          input.byteOffset === 0 &&
          input.byteLength === input.buffer.byteLength &&
          input.byteLength > 0
        ) {
          transfer.push(input.buffer);
        }
        const giveUp = (err: Error) => {
          if (job.settled) return;
          job.settled = true;
          job.cleanup();
          const at = queue.indexOf(job);
          if (at >= 0) queue.splice(at, 1);
          reject(err);
        };
        const timer = setTimeout(
          () => giveUp(new ShirenError('timeout', `The face engine did not answer within ${timeoutMs} ms.`)),
          timeoutMs,
        );
        timer.unref();
        const onAbort = () => giveUp(abortError(signal!));
        signal?.addEventListener('abort', onAbort, { once: true });
        const job: Job = {
          id,
          request: {
            id,
            op,
            input,
            opts: {
              crop: opts.crop,
              requireSingleFace: opts.requireSingleFace,
            },
          },
          transfer,
          resolve,
          reject,
          settled: false,
          cleanup() {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
          },
        };
        queue.push(job);
        dispatch();
      });
    },
    async close() {
      closing = true;
      for (const job of queue.splice(0)) {
        if (job.settled) continue;
        job.settled = true;
        job.cleanup();
        job.reject(new ShirenError('engine_unavailable', 'The face engine is closing.'));
      }
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof ShirenError) return reason;
  return new ShirenError('timeout', 'The operation was aborted.', {
    cause: reason,
  });
}
