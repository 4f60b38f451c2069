/**
 * Messages between the engine pool (main thread) and its inference workers. Plain structured-cloneable data.
 */
import type { Reason } from '../errors.js';
import type { FrameMeasurement } from './frame-analysis.js';
import type { ImageSummary } from './pipeline.js';
import type { DetectedFace, FaceBox, FaceQuality, Landmarks5, LivenessScore } from './types.js';

export interface WorkerInit {
  maxImageBytes: number;
  maxPixels: number;
  minFaceSize: number;
}

export type JobOp = 'detect' | 'embed' | 'liveness' | 'frame';

export interface JobOptions {
  crop?: FaceBox;
  requireSingleFace?: boolean;
}

export interface JobRequest {
  id: number;
  op: JobOp;
  input: Uint8Array | string;
  opts: JobOptions;
}

export interface FaceSummary {
  box: FaceBox;
  score: number;
  landmarks5: Landmarks5;
  quality?: FaceQuality;
}

export interface DetectResult {
  image: ImageSummary;
  faceCount: number;
  /** Largest first. */
  faces: FaceSummary[];
}

export interface EmbedResult {
  image: ImageSummary;
  faceCount: number;
  /** The largest face, whose embedding this is. */
  face: FaceSummary;
  /** L2-normalised. */
  embedding: Float32Array;
}

export interface LivenessResult {
  image: ImageSummary;
  faceCount: number;
  face: FaceSummary;
  liveness: LivenessScore;
  /** Decision threshold of the liveness scorer (score ≥ threshold ⇒ live). */
  threshold: number;
  isLive: boolean;
}

/** One H5 capture frame measured for the liveness challenge (src/engine/frame-analysis.ts). */
export type FrameResult = FrameMeasurement;

export type JobResult = DetectResult | EmbedResult | LivenessResult | FrameResult;

export interface WorkerInfo {
  detector: string;
  landmarks: string;
  recogniser: string;
  calibrationId: string;
  quality: string | null;
  liveness: string | null;
}

export type WorkerMessage =
  | { type: 'ready'; info: WorkerInfo }
  | { type: 'init_error'; message: string }
  | { type: 'result'; id: number; result: JobResult }
  | {
      type: 'error';
      id: number;
      error: {
        reason: Reason | null;
        message: string;
        details?: Record<string, unknown>;
      };
    }
  | {
      type: 'log';
      level: 'info' | 'warn' | 'error';
      message: string;
      data?: Record<string, unknown>;
    };

export type { DetectedFace };
