/**
 * Per-face quality with the fields of Volcengine's `image_face_detail`. Every rule is documented in
 * docs/quality.md; fields without a model behind them are heuristics and say so there.
 *
 * Models: faceplugin `fr_pose.onnx` (yaw, pitch: three 66-bin heads, expectation × 3 − 99 degrees) and
 * `fr_eye.onnx` (24×24 grey eye patch → 2 classes). Everything else is image statistics on a face crop aligned
 * from the five landmarks (roll removed, fixed scale), so the measures do not depend on the photo's size.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { ShirenError } from '../errors.js';
import { ARCFACE_TEMPLATE_112, similarityTransform, warpAffine } from './align.js';
import { softmax } from './liveness.js';
import { faceModelDir, openSession, runSession, type OrtSession } from './models.js';
import type { DetectedFace, FaceQuality, Landmarks5, Point, RgbImage } from './types.js';

export interface QualityAssessorOptions {
  /** Directory holding fr_pose.onnx and fr_eye.onnx (default: the faceplugin-face-recognition-js package). */
  modelDir?: string;
  /** ONNX Runtime intra-op threads (default 1). */
  threads?: number;
}

export interface QualityAssessor {
  assess(img: RgbImage, face: DetectedFace): Promise<FaceQuality>;
  close(): Promise<void>;
}

/** Side of the aligned analysis canvas; the ArcFace template is placed 1:1 with its eyes at y ≈ 116. */
export const CANVAS = 192;
const OFFSET: Point = [CANVAS / 2 - 56, CANVAS / 2 - 56 + 24];
/** Laplacian variance at which clarity = 0.5 (see docs/quality.md for how it was chosen). */
export const CLARITY_HALF = 60;
/** Luma at or below / at or above which a pixel counts as clipped. */
const DARK = 10;
const BRIGHT = 245;

export interface AlignedFace {
  grey: Float32Array;
  rgb: RgbImage;
  /** Landmarks in canvas coordinates. */
  eyeL: Point;
  eyeR: Point;
  mouthL: Point;
  mouthR: Point;
  /** Inter-ocular distance in canvas pixels (≈ 35). */
  iod: number;
}

/** Warps the face onto the 192×192 analysis canvas (eyes level, inter-ocular distance ≈ 35 px). */
export function alignForQuality(img: RgbImage, landmarks: Landmarks5): AlignedFace {
  const dst = ARCFACE_TEMPLATE_112.map(([x, y]) => [x + OFFSET[0], y + OFFSET[1]] as Point);
  const rgb = warpAffine(img, similarityTransform(landmarks, dst), CANVAS, CANVAS);
  const grey = new Float32Array(CANVAS * CANVAS);
  for (let i = 0; i < grey.length; i++) {
    grey[i] = 0.299 * rgb.data[i * 3]! + 0.587 * rgb.data[i * 3 + 1]! + 0.114 * rgb.data[i * 3 + 2]!;
  }
  const [eyeL, eyeR, , mouthL, mouthR] = dst as [Point, Point, Point, Point, Point];
  return { grey, rgb, eyeL, eyeR, mouthL, mouthR, iod: Math.hypot(eyeR[0] - eyeL[0], eyeR[1] - eyeL[1]) };
}

interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function clampRect(r: Rect): Rect {
  const c = (v: number) => Math.max(0, Math.min(CANVAS, Math.round(v)));
  return { x0: c(r.x0), y0: c(r.y0), x1: c(r.x1), y1: c(r.y1) };
}

/** Inner face: from brows to below the mouth, between the outer eye corners. */
export function innerFaceRect(a: AlignedFace): Rect {
  return clampRect({
    x0: a.eyeL[0] - 0.45 * a.iod,
    x1: a.eyeR[0] + 0.45 * a.iod,
    y0: a.eyeL[1] - 0.45 * a.iod,
    y1: a.mouthL[1] + 0.45 * a.iod,
  });
}

function mouthRect(a: AlignedFace): Rect {
  return clampRect({
    x0: a.mouthL[0] - 0.15 * a.iod,
    x1: a.mouthR[0] + 0.15 * a.iod,
    y0: a.mouthL[1] - 0.3 * a.iod,
    y1: a.mouthL[1] + 0.3 * a.iod,
  });
}

/** Variance of the 4-neighbour Laplacian over a rectangle of a grey image. */
export function laplacianVariance(grey: Float32Array, width: number, r: Rect): number {
  let n = 0;
  let s = 0;
  let s2 = 0;
  for (let y = Math.max(1, r.y0); y < Math.min(r.y1, width - 1); y++) {
    for (let x = Math.max(1, r.x0); x < Math.min(r.x1, width - 1); x++) {
      const i = y * width + x;
      const v = grey[i - 1]! + grey[i + 1]! + grey[i - width]! + grey[i + width]! - 4 * grey[i]!;
      s += v;
      s2 += v * v;
      n++;
    }
  }
  if (!n) return 0;
  const m = s / n;
  return s2 / n - m * m;
}

/** Mean absolute gradient (central differences) over a rectangle. */
function gradientEnergy(grey: Float32Array, width: number, r: Rect): number {
  let n = 0;
  let s = 0;
  for (let y = Math.max(1, r.y0); y < Math.min(r.y1, width - 1); y++) {
    for (let x = Math.max(1, r.x0); x < Math.min(r.x1, width - 1); x++) {
      const i = y * width + x;
      s += Math.abs(grey[i + 1]! - grey[i - 1]!) + Math.abs(grey[i + width]! - grey[i - width]!);
      n++;
    }
  }
  return n ? s / n : 0;
}

function meanRgb(img: RgbImage, r: Rect): [number, number, number] {
  const acc: [number, number, number] = [0, 0, 0];
  let n = 0;
  for (let y = r.y0; y < r.y1; y++) {
    for (let x = r.x0; x < r.x1; x++) {
      const p = (y * img.width + x) * 3;
      acc[0] += img.data[p]!;
      acc[1] += img.data[p + 1]!;
      acc[2] += img.data[p + 2]!;
      n++;
    }
  }
  return n ? [acc[0] / n, acc[1] / n, acc[2] / n] : acc;
}

const clamp01 = (v: number) => Math.max(0, Math.min(1, v));
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Image-statistics fields (no model). Exported for tests and docs. */
export function imageStatistics(a: AlignedFace) {
  const inner = innerFaceRect(a);
  let n = 0;
  let luma = 0;
  let clipped = 0;
  for (let y = inner.y0; y < inner.y1; y++) {
    for (let x = inner.x0; x < inner.x1; x++) {
      const v = a.grey[y * CANVAS + x]!;
      luma += v;
      if (v <= DARK || v >= BRIGHT) clipped++;
      n++;
    }
  }
  const lapVar = laplacianVariance(a.grey, CANVAS, inner);
  // Mouth: lips and mouth corners carry edges; a uniform cover (hand, mask, sticker) removes them.
  const faceGrad = gradientEnergy(a.grey, CANVAS, inner);
  const mouthGrad = gradientEnergy(a.grey, CANVAS, mouthRect(a));
  const mouthRatio = faceGrad > 0 ? mouthGrad / faceGrad : 0;
  // Cap: forehead band compared with the cheeks (colour distance, 0–441).
  const forehead = clampRect({
    x0: a.eyeL[0],
    x1: a.eyeR[0],
    y0: a.eyeL[1] - 1.3 * a.iod,
    y1: a.eyeL[1] - 0.75 * a.iod,
  });
  const cheeks = clampRect({
    x0: a.eyeL[0],
    x1: a.eyeR[0],
    y0: a.eyeL[1] + 0.35 * a.iod,
    y1: a.eyeL[1] + 0.7 * a.iod,
  });
  const f = meanRgb(a.rgb, forehead);
  const c = meanRgb(a.rgb, cheeks);
  const foreheadDistance = Math.hypot(f[0] - c[0], f[1] - c[1], f[2] - c[2]);
  return {
    brightness: n ? luma / n / 255 : 0,
    exposure: n ? clipped / n : 0,
    lapVar,
    face_clarity: lapVar / (lapVar + CLARITY_HALF),
    mouthRatio,
    mouth_occlusion: clamp01(1 - mouthRatio / 0.6),
    foreheadDistance,
    have_cap: sigmoid((foreheadDistance - 60) / 12),
  };
}

/** Eye-line angle of the five landmarks in degrees (positive = clockwise in image coordinates). */
export function rollFromLandmarks(l: Landmarks5): number {
  const [le, re] = l;
  return (Math.atan2(re[1] - le[1], re[0] - le[0]) * 180) / Math.PI;
}

/**
 * Overall 0–100: clarity, lighting, pose and occlusion factors multiplied (docs/quality.md gives the rule).
 */
export function comprehensiveScore(q: Omit<FaceQuality, 'comprehensive_score'>): number {
  const clarity = Math.sqrt(clamp01(q.face_clarity));
  const light = clamp01(1 - Math.abs(q.brightness - 0.5) / 0.4) * clamp01(1 - q.exposure * 2);
  const pose =
    clamp01(1 - Math.abs(q.pose_yaw) / 60) *
    clamp01(1 - Math.abs(q.pose_pitch) / 60) *
    clamp01(1 - Math.abs(q.pose_roll) / 90);
  const occlusion = 1 - Math.max(q.mouth_occlusion, q.left_eye_occlusion, q.right_eye_occlusion);
  return Math.round(100 * clarity * Math.sqrt(light) * pose * occlusion * 10) / 10;
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export async function createQualityAssessor(opts: QualityAssessorOptions = {}): Promise<QualityAssessor> {
  const dir = opts.modelDir ?? faceModelDir();
  const threads = { threads: opts.threads ?? 1 };
  let sessions: { pose: OrtSession; eye: OrtSession } | undefined;
  const [pose, eye] = await Promise.all([
    openSession(join(dir, 'fr_pose.onnx'), threads),
    openSession(join(dir, 'fr_eye.onnx'), threads),
  ]);
  sessions = { pose, eye };

  async function headPose(s: OrtSession, img: RgbImage, face: DetectedFace): Promise<{ yaw: number; pitch: number }> {
    const b = face.box;
    const x0 = Math.max(0, Math.round(b.x - b.width / 4));
    const y0 = Math.max(0, Math.round(b.y - b.height / 4));
    const x1 = Math.min(img.width, Math.round(b.x + b.width * 1.25));
    const y1 = Math.min(img.height, Math.round(b.y + b.height * 1.25));
    if (x1 - x0 < 2 || y1 - y0 < 2) throw new ShirenError('face_too_small');
    const px = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
      .resize(224, 224, { fit: 'fill' })
      .raw()
      .toBuffer();
    const plane = 224 * 224;
    const input = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) input[c * plane + i] = (px[i * 3 + c]! / 255 - MEAN[c]!) / STD[c]!;
    }
    const [yawBins, pitchBins] = await runSession(s, 'input', input, [1, 3, 224, 224], ['output', '617']);
    const angle = (bins: Float32Array) => softmax(bins).reduce((acc, p, i) => acc + p * i, 0) * 3 - 99;
    return { yaw: angle(yawBins!), pitch: angle(pitchBins!) };
  }

  /** Probability the eye is not seen open (class 0 of fr_eye; docs/quality.md shows how the class was identified). */
  async function eyeNotOpen(s: OrtSession, a: AlignedFace, centre: Point): Promise<number> {
    const size = 0.55 * a.iod;
    const input = new Float32Array(24 * 24);
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 24; x++) {
        const sx = Math.min(CANVAS - 1, Math.max(0, Math.round(centre[0] - size / 2 + ((x + 0.5) * size) / 24)));
        const sy = Math.min(CANVAS - 1, Math.max(0, Math.round(centre[1] - size / 2 + ((y + 0.5) * size) / 24)));
        input[y * 24 + x] = a.grey[sy * CANVAS + sx]! / 255;
      }
    }
    const [logits] = await runSession(s, 'input', input, [1, 1, 24, 24], ['output']);
    return softmax(logits!)[0]!;
  }

  return {
    async assess(img, face) {
      if (!sessions) throw new ShirenError('engine_unavailable', 'The quality assessor is closed.');
      const a = alignForQuality(img, face.landmarks5);
      const stats = imageStatistics(a);
      const { yaw, pitch } = await headPose(sessions.pose, img, face);
      const leftEye = await eyeNotOpen(sessions.eye, a, a.eyeL);
      const rightEye = await eyeNotOpen(sessions.eye, a, a.eyeR);
      const q: Omit<FaceQuality, 'comprehensive_score'> = {
        face_clarity: stats.face_clarity,
        brightness: stats.brightness,
        exposure: stats.exposure,
        pose_pitch: pitch,
        pose_yaw: yaw,
        pose_roll: rollFromLandmarks(face.landmarks5),
        mouth_occlusion: stats.mouth_occlusion,
        left_eye_occlusion: leftEye,
        right_eye_occlusion: rightEye,
        have_cap: stats.have_cap,
      };
      return { comprehensive_score: comprehensiveScore(q), ...q };
    },
    async close() {
      const s = sessions;
      sessions = undefined;
      if (s) await Promise.all([s.pose.release(), s.eye.release()]);
    },
  };
}
