/**
 * Inference worker (worker_threads): loads the models once, then serves one job at a time from the pool.
 * Started by pool.ts; under tsx the `.ts` file runs (execArgv `--import tsx` is inherited), compiled it is `.js`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { isShirenError } from '../errors.js';
import { createFrameAnalyser } from './frame-analysis.js';
import { createFacePipeline, type FacePipeline } from './pipeline.js';
import type { DetectedFace, FaceQuality, LivenessScore, RgbImage } from './types.js';
import type { FaceSummary, JobRequest, JobResult, WorkerInfo, WorkerInit, WorkerMessage } from './worker-protocol.js';

interface QualityAssessor {
  assess(img: RgbImage, face: DetectedFace): Promise<FaceQuality>;
}
interface LivenessScorer {
  score(img: RgbImage, face: DetectedFace): Promise<LivenessScore>;
  threshold: number;
  info?: unknown;
}

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

function send(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/** Imports an optional sibling module (E2's quality / liveness); absent → null, broken → logged and null. */
async function optionalModule<T>(file: string, factory: string): Promise<{ value: T; id: string } | null> {
  try {
    const mod = (await import(file)) as Record<string, unknown>;
    const create = mod[factory];
    if (typeof create !== 'function') return null;
    const value = (await (create as () => unknown)()) as T;
    const info = (value as { info?: { id?: string; models?: string[]; version?: string } }).info;
    const id = info?.id ?? (info?.models ? `${info.models.join('+')}${info.version ? `@${info.version}` : ''}` : file);
    return { value, id };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (
      code === 'ERR_MODULE_NOT_FOUND' &&
      String((err as Error).message).includes(file.replace(/^\.\//, '').replace(/\.js$/, ''))
    ) {
      return null;
    }
    send({
      type: 'log',
      level: 'error',
      message: `optional module ${file} failed to load`,
      data: { err: String(err) },
    });
    return null;
  }
}

function summary(face: DetectedFace, quality?: FaceQuality): FaceSummary {
  return quality
    ? { box: face.box, score: face.score, landmarks5: face.landmarks5, quality }
    : { box: face.box, score: face.score, landmarks5: face.landmarks5 };
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  sharp.cache(false);
  sharp.concurrency(1);
  let pipeline: FacePipeline;
  let quality: { value: QualityAssessor; id: string } | null;
  let liveness: { value: LivenessScorer; id: string } | null;
  try {
    [pipeline, quality, liveness] = await Promise.all([
      createFacePipeline({
        limits: {
          maxImageBytes: init.maxImageBytes,
          maxPixels: init.maxPixels,
        },
        minFaceSize: init.minFaceSize,
      }),
      optionalModule<QualityAssessor>('./quality.js', 'createQualityAssessor'),
      optionalModule<LivenessScorer>('./liveness.js', 'createLivenessScorer'),
    ]);
  } catch (err) {
    send({
      type: 'init_error',
      message: err instanceof Error ? err.message : String(err),
    });
    return;
  }
  const info: WorkerInfo = {
    ...pipeline.info,
    quality: quality?.id ?? null,
    liveness: liveness?.id ?? null,
  };

  const frames = createFrameAnalyser({
    pipeline,
    ...(quality ? { quality: quality.value as Parameters<typeof createFrameAnalyser>[0]['quality'] } : {}),
  });

  async function run(job: JobRequest): Promise<{ result: JobResult; transfer: ArrayBuffer[] }> {
    if (job.op === 'frame') {
      // A frame without a face is a measurement (faceCount 0), not an error: the challenge verifier decides.
      const m = await frames.analyse(typeof job.input === 'string' ? Buffer.from(job.input, 'base64') : job.input);
      return { result: m, transfer: m.embedding ? [m.embedding.buffer as ArrayBuffer] : [] };
    }
    const opts = {
      crop: job.opts.crop,
      requireSingleFace: job.opts.requireSingleFace,
    };
    const { rgb, faces, image, embedding } = await pipeline.locate(job.input, opts);
    const largest = faces[0]!;
    switch (job.op) {
      case 'detect': {
        const out: FaceSummary[] = [];
        for (const face of faces) {
          out.push(summary(face, quality ? await quality.value.assess(rgb, face) : undefined));
        }
        return {
          result: { image, faceCount: faces.length, faces: out },
          transfer: [],
        };
      }
      case 'embed': {
        return {
          result: {
            image,
            faceCount: faces.length,
            face: summary(largest),
            embedding,
          },
          transfer: [embedding.buffer as ArrayBuffer],
        };
      }
      case 'liveness': {
        if (!liveness) throw new Error('liveness scorer is not available in this build');
        const score = await liveness.value.score(rgb, largest);
        const q = quality ? await quality.value.assess(rgb, largest) : undefined;
        return {
          result: {
            image,
            faceCount: faces.length,
            face: summary(largest, q),
            liveness: score,
            threshold: liveness.value.threshold,
            isLive: score.score >= liveness.value.threshold,
          },
          transfer: [],
        };
      }
    }
  }

  port!.on('message', (job: JobRequest) => {
    run(job).then(
      ({ result, transfer }) => send({ type: 'result', id: job.id, result }, transfer),
      (err: unknown) => {
        if (isShirenError(err)) {
          send({
            type: 'error',
            id: job.id,
            error: {
              reason: err.reason,
              message: err.message,
              ...(err.details ? { details: err.details } : {}),
            },
          });
        } else {
          send({
            type: 'error',
            id: job.id,
            error: {
              reason: null,
              message: err instanceof Error ? err.message : String(err),
            },
          });
        }
      },
    );
  });
  send({ type: 'ready', info });
}

void main();
