/**
 * Frame analysis for the H5 liveness challenge: one camera frame in, the measurements the challenge verifier
 * (src/verify/liveness) needs out (`FrameFeatures`). Every measurement and its sign convention is documented in
 * docs/liveness-challenges.md, with how it responds to real head turns, blinks and mouth openings.
 *
 * - Faces come from the pipeline (`locate`): detector + 68 iBUG landmarks + embedding of the largest face.
 * - Yaw/pitch come from fr_pose through the quality assessor when one is given (its yaw sign is flipped: fr_pose is
 *   positive when the person turns to their own right in an unmirrored image); without it, from landmark geometry.
 * - Eye openness (eye aspect ratio) and mouth opening come from the landmarks; when the quality assessor is given,
 *   fr_eye's "eye not seen open" probabilities are added as `quality`, because fr_landmark follows eyelids only
 *   partially (measured: a closing eye lowers the EAR to about 0.6–0.85 of its open value, not to 0.1).
 *
 * A frame without a usable face is not an error: it yields `faceCount: 0` and neutral values, so a sequence may
 * contain empty frames. Invalid or corrupt images still throw the image errors (invalid_image, image_corrupt, …).
 */
import sharp from 'sharp';
import { ShirenError } from '../errors.js';
import { encodeBmp } from './image.js';
import type { FacePipeline } from './pipeline.js';
import { rollFromLandmarks, type QualityAssessor } from './quality.js';
import type { DetectedFace, FaceQuality, FrameFeatures, Point, RgbImage } from './types.js';

export interface FrameAnalyserDeps {
  pipeline: FacePipeline;
  /** When given: yaw/pitch from fr_pose and eye state from fr_eye (recommended). */
  quality?: QualityAssessor;
}

/** What `analyse` returns: the contract's `FrameFeatures` plus where the pose came from and the face quality. */
export interface FrameMeasurement extends FrameFeatures {
  /** `fr_pose` (quality assessor), `landmarks` (geometry fallback) or `none` (no face). */
  poseSource: 'fr_pose' | 'landmarks' | 'none';
  /** Quality of the largest face when a quality assessor was given (fr_eye occlusion = "eye not seen open"). */
  quality?: FaceQuality;
}

export interface FrameAnalyser {
  analyse(input: Uint8Array | RgbImage): Promise<FrameMeasurement>;
}

const NEUTRAL_COLOUR: [number, number, number] = [0, 0, 0];

export function createFrameAnalyser(deps: FrameAnalyserDeps): FrameAnalyser {
  const { pipeline, quality } = deps;

  async function toBytes(input: Uint8Array | RgbImage): Promise<Uint8Array> {
    if (input instanceof Uint8Array) return input;
    const { width, height, data } = input;
    if (
      !Number.isInteger(width) ||
      !Number.isInteger(height) ||
      width < 1 ||
      height < 1 ||
      !(data instanceof Uint8Array) ||
      data.length !== width * height * 3
    ) {
      throw new ShirenError('invalid_image', 'An RGB frame needs integer width and height and 3 bytes a pixel.');
    }
    if (width * height > pipeline.limits.maxPixels) {
      throw new ShirenError('image_too_many_pixels', undefined, {
        details: { width, height, limit: pipeline.limits.maxPixels },
      });
    }
    // Lossless either way; BMP is cheapest, PNG keeps large frames under the byte limit.
    if (54 + Math.ceil((width * 3) / 4) * 4 * height <= pipeline.limits.maxImageBytes) return encodeBmp(input);
    const png = await sharp(data, { raw: { width, height, channels: 3 } })
      .png({ compressionLevel: 6 })
      .toBuffer();
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  }

  async function emptyFrame(bytes: Uint8Array, err: ShirenError): Promise<FrameMeasurement> {
    let width = 0;
    let height = 0;
    const image = err.details?.image as { width?: number; height?: number } | undefined;
    if (image?.width && image.height) {
      width = image.width;
      height = image.height;
    } else {
      // face_too_small carries no image size: read it from the header (EXIF orientations 5–8 swap the sides).
      const meta = await sharp(bytes)
        .metadata()
        .catch(() => undefined);
      if (meta?.width && meta.height) {
        const swap = (meta.orientation ?? 1) >= 5;
        width = swap ? meta.height : meta.width;
        height = swap ? meta.width : meta.height;
      }
    }
    return {
      width,
      height,
      faceCount: 0,
      yaw: 0,
      pitch: 0,
      roll: 0,
      leftEye: 0,
      rightEye: 0,
      mouth: 0,
      faceColour: NEUTRAL_COLOUR,
      backgroundColour: NEUTRAL_COLOUR,
      poseSource: 'none',
    };
  }

  return {
    async analyse(input) {
      const bytes = await toBytes(input);
      let located: Awaited<ReturnType<FacePipeline['locate']>>;
      try {
        located = await pipeline.locate(bytes);
      } catch (err) {
        if (err instanceof ShirenError && (err.reason === 'face_not_found' || err.reason === 'face_too_small')) {
          return emptyFrame(bytes, err);
        }
        throw err;
      }
      const { rgb, faces, embedding } = located;
      const face = faces[0]!;
      const faceCount = faces.filter((f) => Math.min(f.box.width, f.box.height) >= pipeline.minFaceSize).length;
      const p = face.landmarks68;
      const geometry = p ? landmarkMeasures(p) : undefined;
      let yaw = geometry?.yaw ?? 0;
      let pitch = geometry?.pitch ?? 0;
      let poseSource: FrameMeasurement['poseSource'] = 'landmarks';
      let q: FaceQuality | undefined;
      if (quality) {
        q = await quality.assess(rgb, face);
        yaw = -q.pose_yaw;
        pitch = q.pose_pitch;
        poseSource = 'fr_pose';
      }
      return {
        width: rgb.width,
        height: rgb.height,
        faceCount,
        face,
        yaw,
        pitch,
        roll: rollFromLandmarks(face.landmarks5),
        leftEye: geometry?.leftEye ?? 0,
        rightEye: geometry?.rightEye ?? 0,
        mouth: geometry?.mouth ?? 0,
        faceColour: faceColour(rgb, face),
        backgroundColour: borderColour(rgb),
        embedding,
        poseSource,
        ...(q ? { quality: q } : {}),
      };
    },
  };
}

const dist = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** Eye aspect ratio of the six iBUG points starting at `o` (corner, two upper lid, corner, two lower lid). */
export function eyeAspectRatio(p: readonly Point[], o: number): number {
  const width = dist(p[o]!, p[o + 3]!);
  if (width <= 0) return 0;
  return (dist(p[o + 1]!, p[o + 5]!) + dist(p[o + 2]!, p[o + 4]!)) / (2 * width);
}

/**
 * Measures from the 68 iBUG landmarks. Eyes: points 36–41 are the eye on the image's left, which in an unmirrored
 * camera frame is the person's right eye; 42–47 the person's left. Mouth: inner-lip gap 62↔66 over mouth width
 * 48↔54. Yaw/pitch (fallback when fr_pose is not available): the nose tip's offset from the face's centre line,
 * measured along the eye line (yaw) and along the eyes-to-mouth axis (pitch), turned into degrees with asin. These
 * two are rough and uncalibrated; fr_pose is preferred.
 */
export function landmarkMeasures(p: readonly Point[]): {
  leftEye: number;
  rightEye: number;
  mouth: number;
  yaw: number;
  pitch: number;
} {
  const mouthWidth = dist(p[48]!, p[54]!);
  // Unit vectors along the eye line (image left → right) and perpendicular to it (down the face).
  const ex = p[45]![0] - p[36]![0];
  const ey = p[45]![1] - p[36]![1];
  const len = Math.hypot(ex, ey) || 1;
  const ux = ex / len;
  const uy = ey / len;
  const along = (i: number) => p[i]![0] * ux + p[i]![1] * uy;
  const down = (i: number) => -p[i]![0] * uy + p[i]![1] * ux;
  const half = (along(16) - along(0)) / 2;
  const mid = (along(16) + along(0)) / 2;
  // Nose to the image's right of the centre line = the person turned to their own left = positive yaw.
  const yawSin = half > 0 ? (along(30) - mid) / half : 0;
  const eyeY = (down(36) + down(45)) / 2;
  const mouthY = (down(48) + down(54)) / 2;
  const span = mouthY - eyeY;
  // Frontal faces put the nose tip at about 0.55 of the way from the eye line to the mouth line; looking up moves
  // it towards the eyes.
  const pitchSin = span > 0 ? (0.55 - (down(30) - eyeY) / span) / 0.45 : 0;
  const deg = (s: number) => (Math.asin(Math.max(-1, Math.min(1, s))) * 180) / Math.PI;
  return {
    leftEye: eyeAspectRatio(p, 42),
    rightEye: eyeAspectRatio(p, 36),
    mouth: mouthWidth > 0 ? dist(p[62]!, p[66]!) / mouthWidth : 0,
    yaw: deg(yawSin),
    pitch: deg(pitchSin),
  };
}

/** Mean RGB of square patches (side 2·r, clamped to the image). */
function meanOfPatches(img: RgbImage, centres: Point[], r: number): [number, number, number] {
  const acc: [number, number, number] = [0, 0, 0];
  let n = 0;
  const step = Math.max(1, Math.floor(r / 8));
  for (const [cx, cy] of centres) {
    const x0 = Math.max(0, Math.round(cx - r));
    const x1 = Math.min(img.width - 1, Math.round(cx + r));
    const y0 = Math.max(0, Math.round(cy - r));
    const y1 = Math.min(img.height - 1, Math.round(cy + r));
    for (let y = y0; y <= y1; y += step) {
      for (let x = x0; x <= x1; x += step) {
        const o = (y * img.width + x) * 3;
        acc[0] += img.data[o]!;
        acc[1] += img.data[o + 1]!;
        acc[2] += img.data[o + 2]!;
        n++;
      }
    }
  }
  return n ? [acc[0] / n, acc[1] / n, acc[2] / n] : [0, 0, 0];
}

/**
 * Mean colour of the skin: both cheeks (60 % of the way from each eye centre to the mouth corner below it) and the
 * forehead (0.5 IOD above the midpoint of the eyes, perpendicular to the eye line), squares of 0.3 IOD.
 */
export function faceColour(img: RgbImage, face: DetectedFace): [number, number, number] {
  const [eyeA, eyeB, , mouthA, mouthB] = face.landmarks5;
  const iod = dist(eyeA, eyeB);
  const lerp = (a: Point, b: Point, t: number): Point => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
  const mid = lerp(eyeA, eyeB, 0.5);
  // Perpendicular to the eye line, pointing up the face.
  const up: Point = iod > 0 ? [(eyeB[1] - eyeA[1]) / iod, -(eyeB[0] - eyeA[0]) / iod] : [0, -1];
  const forehead: Point = [mid[0] + up[0] * 0.5 * iod, mid[1] + up[1] * 0.5 * iod];
  return meanOfPatches(img, [lerp(eyeA, mouthA, 0.6), lerp(eyeB, mouthB, 0.6), forehead], 0.15 * iod);
}

/**
 * Mean colour of the outer 5 % band of the frame (subsampled). Clipped pixels (a channel ≥ 250 or ≤ 5: windows,
 * lamps, deep shadow) are left out when enough others remain, because they cannot follow changes of light.
 */
export function borderColour(img: RgbImage): [number, number, number] {
  const bx = Math.max(1, Math.round(img.width * 0.05));
  const by = Math.max(1, Math.round(img.height * 0.05));
  const step = Math.max(1, Math.floor(Math.min(img.width, img.height) / 100));
  const all: [number, number, number] = [0, 0, 0];
  const unclipped: [number, number, number] = [0, 0, 0];
  let n = 0;
  let m = 0;
  const add = (x: number, y: number) => {
    const o = (y * img.width + x) * 3;
    const r = img.data[o]!;
    const g = img.data[o + 1]!;
    const b = img.data[o + 2]!;
    all[0] += r;
    all[1] += g;
    all[2] += b;
    n++;
    if (Math.max(r, g, b) < 250 && Math.min(r, g, b) > 5) {
      unclipped[0] += r;
      unclipped[1] += g;
      unclipped[2] += b;
      m++;
    }
  };
  for (let y = 0; y < img.height; y += step) {
    if (y < by || y >= img.height - by) {
      for (let x = 0; x < img.width; x += step) add(x, y);
    } else {
      for (let x = 0; x < bx; x += step) add(x, y);
      for (let x = img.width - bx; x < img.width; x += step) add(x, y);
    }
  }
  if (m >= Math.max(1, n * 0.1)) return [unclipped[0] / m, unclipped[1] / m, unclipped[2] / m];
  return n ? [all[0] / n, all[1] / n, all[2] / n] : [0, 0, 0];
}
