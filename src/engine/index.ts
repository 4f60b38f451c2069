/**
 * Public face-engine API: a worker pool running detection, embedding, quality and liveness, plus calibrated 1:1
 * comparison. Inputs are image bytes, base64 or data URLs. No HTTP, no database.
 */
import { availableParallelism } from 'node:os';
import { ShirenError } from '../errors.js';
import { loadCalibration, scoreFromSimilarity, scoreThresholds, type DecisionFarLevel } from './calibration.js';
import { DEFAULT_IMAGE_LIMITS } from './image.js';
import { createWorkerPool, type EngineLogger, type PoolStats } from './pool.js';
import { cosineSimilarity } from './recogniser.js';
import type { ImageSummary } from './pipeline.js';
import type { DetectResult, EmbedResult, FaceSummary, FrameResult, LivenessResult } from './worker-protocol.js';
import type { FaceBox } from './types.js';

export type {
  DetectResult,
  EmbedResult,
  FaceSummary,
  FrameResult,
  LivenessResult,
  PoolStats,
  EngineLogger,
  ImageSummary,
};
export { cosineSimilarity };

export type ImageInput = Uint8Array | string;

export interface FaceEngineOptions {
  /** Inference worker threads (default: number of CPU cores). */
  workers?: number;
  /** Jobs allowed to wait for a worker; beyond that calls fail at once with engine_busy (default 4 × workers). */
  queueLimit?: number;
  /** Byte limit of one image (default 5 MiB). */
  maxImageBytes?: number;
  /** Pixel limit (width × height, from the header) of one image (default 40 000 000). */
  maxPixels?: number;
  /** Minimum face size in px (default 40). */
  minFaceSize?: number;
  /** Deadline of one engine call including queueing (default 15 000 ms). */
  timeoutMs?: number;
  logger?: EngineLogger;
  /** Transfer caller-owned image buffers to workers instead of copying them (default false: inputs are copied; see pool.ts). */
  transferInputs?: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Fail with multiple_faces when more than one face is present. */
  requireSingleFace?: boolean;
  /** Analyse only this rectangle (upright image coordinates). */
  crop?: FaceBox;
}

export interface CompareOptions {
  signal?: AbortSignal;
  requireSingleFace?: boolean;
  /** Crops for the source and target images. */
  cropA?: FaceBox;
  cropB?: FaceBox;
}

export interface CompareSide {
  image: ImageSummary;
  faceCount: number;
  face: FaceSummary;
}

export interface CompareResult {
  /** Cosine similarity of the two embeddings, −1…1. */
  similarity: number;
  /** Calibrated 0–100 score: 60/70/80/90 at FAR 1e-3/1e-4/1e-5/1e-6. */
  score: number;
  /** Score thresholds for each false-accept rate. */
  thresholds: Record<DecisionFarLevel, number>;
  source: CompareSide;
  target: CompareSide;
}

export interface EngineInfo {
  models: {
    detector: string;
    landmarks: string;
    recogniser: string;
    quality: string | null;
    liveness: string | null;
  };
  calibration: { id: string; version: number; provisional: boolean };
  limits: {
    maxImageBytes: number;
    maxPixels: number;
    minFaceSize: number;
    timeoutMs: number;
  };
}

export interface FaceEngine {
  detect(input: ImageInput, opts?: CallOptions): Promise<DetectResult>;
  embed(input: ImageInput, opts?: CallOptions): Promise<EmbedResult>;
  compare(a: ImageInput, b: ImageInput, opts?: CompareOptions): Promise<CompareResult>;
  liveness(input: ImageInput, opts?: CallOptions): Promise<LivenessResult>;
  /** Measures one H5 capture frame (pose, eyes, mouth, colours, embedding); a frame without a face is not an error. */
  analyseFrame(input: ImageInput, opts?: { signal?: AbortSignal }): Promise<FrameResult>;
  stats(): PoolStats;
  /** True once the workers are loaded and until close(). */
  readonly ready: boolean;
  readonly info: EngineInfo;
  close(): Promise<void>;
}

export async function createFaceEngine(options: FaceEngineOptions = {}): Promise<FaceEngine> {
  const workers = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  const queueLimit = Math.max(0, Math.floor(options.queueLimit ?? workers * 4));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const limits = {
    maxImageBytes: options.maxImageBytes ?? DEFAULT_IMAGE_LIMITS.maxImageBytes,
    maxPixels: options.maxPixels ?? DEFAULT_IMAGE_LIMITS.maxPixels,
    minFaceSize: options.minFaceSize ?? 40,
  };
  const pool = await createWorkerPool({
    workers,
    queueLimit,
    timeoutMs,
    init: limits,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.transferInputs === undefined ? {} : { transferInputs: options.transferInputs }),
  });
  const calibration = loadCalibration(pool.info.calibrationId);
  let closed = false;

  const callOpts = (o: CallOptions | undefined, crop?: FaceBox) => ({
    ...(crop ? { crop } : o?.crop ? { crop: o.crop } : {}),
    ...(o?.requireSingleFace ? { requireSingleFace: true } : {}),
  });

  const info: EngineInfo = {
    models: {
      detector: pool.info.detector,
      landmarks: pool.info.landmarks,
      recogniser: pool.info.recogniser,
      quality: pool.info.quality,
      liveness: pool.info.liveness,
    },
    calibration: {
      id: calibration.id,
      version: calibration.version,
      provisional: calibration.provisional,
    },
    limits: { ...limits, timeoutMs },
  };

  const engine: FaceEngine = {
    async detect(input, opts) {
      return (await pool.run('detect', input, callOpts(opts), opts?.signal)) as DetectResult;
    },
    async embed(input, opts) {
      return (await pool.run('embed', input, callOpts(opts), opts?.signal)) as EmbedResult;
    },
    async compare(a, b, opts = {}) {
      const base = { requireSingleFace: opts.requireSingleFace };
      // Both images run in parallel on different workers when available.
      const [ra, rb] = await Promise.all([
        pool.run('embed', a, callOpts(base, opts.cropA), opts.signal) as Promise<EmbedResult>,
        pool.run('embed', b, callOpts(base, opts.cropB), opts.signal) as Promise<EmbedResult>,
      ]);
      const similarity = cosineSimilarity(ra.embedding, rb.embedding);
      return {
        similarity,
        score: scoreFromSimilarity(similarity, calibration),
        thresholds: scoreThresholds(calibration),
        source: { image: ra.image, faceCount: ra.faceCount, face: ra.face },
        target: { image: rb.image, faceCount: rb.faceCount, face: rb.face },
      };
    },
    async liveness(input, opts) {
      if (!pool.info.liveness) throw new ShirenError('not_supported', 'No liveness model is available.');
      return (await pool.run('liveness', input, callOpts(opts), opts?.signal)) as LivenessResult;
    },
    async analyseFrame(input, opts) {
      return (await pool.run('frame', input, {}, opts?.signal)) as FrameResult;
    },
    stats: () => pool.stats(),
    get ready() {
      return !closed && pool.stats().workers > 0;
    },
    info,
    async close() {
      closed = true;
      await pool.close();
    },
  };
  return engine;
}
