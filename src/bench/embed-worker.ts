/**
 * worker_threads entry for bulk embedding: runs the engine's in-process face pipeline (src/engine/pipeline.ts) on
 * image files and posts back the embedding of the largest face, or the reason no embedding was made.
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { isShirenError } from '../errors.js';
import { createFacePipeline, type FacePipelineOptions } from '../engine/pipeline.js';

export interface EmbedJob {
  id: number;
  file: string;
}

export type EmbedReply =
  | { type: 'ready' }
  | { type: 'ok'; id: number; embedding: Float32Array; faceCount: number; ms: number }
  | { type: 'fail'; id: number; reason: string; ms: number };

const port = parentPort;
if (!port) throw new Error('embed-worker must run in a worker thread');
const pipeline = await createFacePipeline((workerData as { options?: FacePipelineOptions } | undefined)?.options);
port.postMessage({ type: 'ready' } satisfies EmbedReply);
port.on('message', (job: EmbedJob | null) => {
  if (job === null) {
    void pipeline.close().then(() => port.close());
    return;
  }
  void (async () => {
    const t0 = performance.now();
    try {
      const bytes = await readFile(job.file);
      const r = await pipeline.analyse(bytes);
      const embedding = Float32Array.from(r.embedding);
      const reply: EmbedReply = {
        type: 'ok',
        id: job.id,
        embedding,
        faceCount: r.faceCount,
        ms: performance.now() - t0,
      };
      port.postMessage(reply, [embedding.buffer]);
    } catch (err) {
      const reason = isShirenError(err) ? err.reason : `error: ${(err as Error).message}`;
      port.postMessage({ type: 'fail', id: job.id, reason, ms: performance.now() - t0 } satisfies EmbedReply);
    }
  })();
});
