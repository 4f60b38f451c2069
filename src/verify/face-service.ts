/**
 * Face use cases shared by every protocol: detect, compare with a decision at a false-accept rate, passive liveness.
 * The engine may still be loading (or be switched off); callers then get engine_unavailable.
 */
import type { DecisionFarLevel } from '../engine/calibration.js';
import type { CompareResult, DetectResult, FaceEngine, ImageInput, LivenessResult } from '../engine/index.js';
import type { FaceBox } from '../engine/types.js';
import { ShirenError } from '../errors.js';

export const DECISION_FARS: readonly DecisionFarLevel[] = ['1e-3', '1e-4', '1e-5', '1e-6'];
/** The default decision: score 70, i.e. false-accept rate 1e-4. */
export const DEFAULT_FAR: DecisionFarLevel = '1e-4';

export interface CompareRequest {
  imageA: ImageInput;
  imageB: ImageInput;
  /** Decide at this false-accept rate (default 1e-4)… */
  far?: DecisionFarLevel;
  /** …or at this score (0–100); wins over `far`. */
  threshold?: number;
  requireSingleFace?: boolean;
  cropA?: FaceBox;
  cropB?: FaceBox;
  signal?: AbortSignal;
}

export interface CompareDecision extends CompareResult {
  passed: boolean;
  /** The score the decision used. */
  threshold: number;
  /** The false-accept rate of that threshold when it is one of the anchors. */
  far: DecisionFarLevel | null;
}

export interface EngineHolder {
  /** The loaded engine, or undefined while loading / when disabled. */
  current(): FaceEngine | undefined;
  /** Why there is none: "loading", "disabled" or a load error. */
  state(): { status: 'loading' | 'ready' | 'disabled' | 'failed'; detail?: string };
}

export function createFaceService(deps: { engines: EngineHolder }) {
  function engine(): FaceEngine {
    const e = deps.engines.current();
    if (e) return e;
    const s = deps.engines.state();
    const why =
      s.status === 'disabled'
        ? 'the face engine is switched off (SHIREN_ENGINE=off)'
        : s.status === 'failed'
          ? 'the face engine failed to load'
          : 'the face engine is still loading';
    throw new ShirenError('engine_unavailable', why, { retryAfter: s.status === 'loading' ? 2 : undefined });
  }

  return {
    engine,

    detect(
      input: ImageInput,
      opts: { requireSingleFace?: boolean; crop?: FaceBox; signal?: AbortSignal } = {},
    ): Promise<DetectResult> {
      return engine().detect(input, opts);
    },

    async compare(req: CompareRequest): Promise<CompareDecision> {
      if (req.threshold !== undefined && !(req.threshold >= 0 && req.threshold <= 100)) {
        throw new ShirenError('invalid_request', 'threshold must be a score from 0 to 100', {
          details: { field: 'threshold' },
        });
      }
      const result = await engine().compare(req.imageA, req.imageB, {
        ...(req.requireSingleFace ? { requireSingleFace: true } : {}),
        ...(req.cropA ? { cropA: req.cropA } : {}),
        ...(req.cropB ? { cropB: req.cropB } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      });
      const far = req.threshold === undefined ? (req.far ?? DEFAULT_FAR) : null;
      const threshold = req.threshold ?? result.thresholds[far!];
      const matched = far ?? DECISION_FARS.find((f) => result.thresholds[f] === threshold) ?? null;
      return { ...result, passed: result.score >= threshold, threshold, far: matched };
    },

    liveness(
      input: ImageInput,
      opts: { requireSingleFace?: boolean; crop?: FaceBox; signal?: AbortSignal } = {},
    ): Promise<LivenessResult> {
      return engine().liveness(input, opts);
    },
  };
}
export type FaceService = ReturnType<typeof createFaceService>;
