/**
 * Quality and liveness control of a reference photo (the image a session compares the captured face with), at four
 * levels: none, low, normal, high. Quality uses the engine's per-face quality (docs/quality.md) and the face's place
 * in the image; liveness runs the passive liveness model on the photo. A photo that fails is refused with a
 * ReferenceRejected error naming the control and the check, so every protocol can say why.
 */
import type { DetectResult, ImageInput } from '../engine/index.js';
import { ShirenError } from '../errors.js';

export type ControlLevel = 'none' | 'low' | 'normal' | 'high';
export const CONTROL_LEVELS: readonly ControlLevel[] = ['none', 'low', 'normal', 'high'];

export interface ReferenceControls {
  quality?: ControlLevel;
  liveness?: ControlLevel;
  /** Largest accepted image: the longer side ≤ [0], the shorter ≤ [1] (pixels). */
  maxResolution?: [number, number];
}

export type QualityCheck = 'resolution' | 'completeness' | 'clarity' | 'brightness' | 'exposure' | 'occlusion' | 'pose';

interface QualityLimits {
  /** face_clarity at least. */
  clarity: number;
  /** brightness within. */
  brightness: [number, number];
  /** exposure (share of clipped pixels) at most. */
  exposure: number;
  /** mouth and eye "not seen open/uncovered" probabilities at most. */
  mouthOcclusion: number;
  eyeOcclusion: number;
  /** |yaw|, |pitch| at most (degrees). */
  pose: number;
  /** The face box must lie inside the image. */
  complete: boolean;
}

/** The limits of each level (chosen on the measurements of docs/quality.md: sharp photos 0.66–0.9 clarity, σ 4 blur 0.15–0.32). */
export const QUALITY_LIMITS: Record<Exclude<ControlLevel, 'none'>, QualityLimits> = {
  low: {
    clarity: 0.2,
    brightness: [0.1, 0.95],
    exposure: 0.5,
    mouthOcclusion: 0.9,
    eyeOcclusion: 1,
    pose: 60,
    complete: false,
  },
  normal: {
    clarity: 0.4,
    brightness: [0.2, 0.9],
    exposure: 0.3,
    mouthOcclusion: 0.7,
    eyeOcclusion: 0.9,
    pose: 40,
    complete: true,
  },
  high: {
    clarity: 0.55,
    brightness: [0.25, 0.85],
    exposure: 0.15,
    mouthOcclusion: 0.5,
    eyeOcclusion: 0.6,
    pose: 25,
    complete: true,
  },
};

/** Passive liveness score (0–1) a reference photo must reach at each level (the engine's own default is 0.5). */
export const LIVENESS_LIMITS: Record<Exclude<ControlLevel, 'none'>, number> = { low: 0.3, normal: 0.5, high: 0.7 };

/** A reference photo refused by its quality or liveness control (reason invalid_image, with control and check). */
export class ReferenceRejected extends ShirenError {
  constructor(
    readonly control: 'quality' | 'liveness',
    readonly check: QualityCheck | 'liveness',
    message: string,
    details: Record<string, unknown>,
  ) {
    super('invalid_image', message, { details: { control, check, ...details } });
    this.name = 'ReferenceRejected';
  }
}

export function isControlLevel(v: unknown): v is ControlLevel {
  return typeof v === 'string' && (CONTROL_LEVELS as readonly string[]).includes(v);
}

/** What the controls measured on an accepted photo (for audit). */
export interface ControlOutcome {
  qualityChecked: boolean;
  livenessScore: number | null;
  engineCalls: number;
}

/**
 * Applies the controls to a photo already detected with exactly one face (`found`). Throws ReferenceRejected when
 * a check fails; not_supported when a level is asked for but the engine has no quality or liveness model.
 */
export async function applyReferenceControls(
  faces: {
    liveness(input: ImageInput, opts?: { requireSingleFace?: boolean }): Promise<{ liveness: { score: number } }>;
  },
  image: ImageInput,
  found: DetectResult,
  controls: ReferenceControls,
): Promise<ControlOutcome> {
  const out: ControlOutcome = { qualityChecked: false, livenessScore: null, engineCalls: 0 };
  const { width, height } = found.image;
  if (controls.maxResolution) {
    const [long, short] = controls.maxResolution;
    if (Math.max(width, height) > long || Math.min(width, height) > short)
      throw new ReferenceRejected(
        'quality',
        'resolution',
        `The image is ${width}×${height}; at most ${long}×${short}.`,
        {
          width,
          height,
        },
      );
  }
  const q = controls.quality ?? 'none';
  if (q !== 'none') {
    const face = found.faces[0];
    if (!face) throw new ShirenError('face_not_found', 'No face was found in the reference image.');
    const limits = QUALITY_LIMITS[q];
    const b = face.box;
    if (limits.complete && (b.x < 0 || b.y < 0 || b.x + b.width > width || b.y + b.height > height))
      throw new ReferenceRejected('quality', 'completeness', 'The face is not completely inside the image.', {
        level: q,
      });
    const quality = face.quality;
    if (!quality)
      throw new ShirenError('not_supported', 'quality control needs the face quality model, which is not loaded');
    const fail = (check: QualityCheck, message: string, value: number, limit: number | [number, number]) => {
      throw new ReferenceRejected('quality', check, message, { level: q, value: round(value), limit });
    };
    if (quality.face_clarity < limits.clarity)
      fail('clarity', 'The face is blurred.', quality.face_clarity, limits.clarity);
    if (quality.brightness < limits.brightness[0] || quality.brightness > limits.brightness[1])
      fail('brightness', 'The face is too dark or too bright.', quality.brightness, limits.brightness);
    if (quality.exposure > limits.exposure)
      fail('exposure', 'The face is over- or under-exposed.', quality.exposure, limits.exposure);
    const eye = Math.max(quality.left_eye_occlusion, quality.right_eye_occlusion);
    if (quality.mouth_occlusion > limits.mouthOcclusion)
      fail('occlusion', 'The mouth is covered.', quality.mouth_occlusion, limits.mouthOcclusion);
    if (eye > limits.eyeOcclusion) fail('occlusion', 'An eye is closed or covered.', eye, limits.eyeOcclusion);
    const pose = Math.max(Math.abs(quality.pose_yaw), Math.abs(quality.pose_pitch));
    if (pose > limits.pose) fail('pose', 'The face is turned too far from the camera.', pose, limits.pose);
    out.qualityChecked = true;
  }
  const l = controls.liveness ?? 'none';
  if (l !== 'none') {
    out.engineCalls++;
    const r = await faces.liveness(image, { requireSingleFace: true });
    const score = round(r.liveness.score);
    out.livenessScore = score;
    if (score < LIVENESS_LIMITS[l])
      throw new ReferenceRejected('liveness', 'liveness', 'The photo did not pass the liveness check.', {
        level: l,
        value: score,
        limit: LIVENESS_LIMITS[l],
      });
  }
  return out;
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
