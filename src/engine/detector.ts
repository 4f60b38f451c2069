/**
 * Face detection (`fr_detect.onnx`, an SSD-style detector with 4 420 priors whose box decoding is baked into the
 * graph: outputs `scores` [1,4420,2] softmax and `boxes` [1,4420,4] corner form, normalised to the input) and
 * 68-point landmarks (`fr_landmark.onnx`, 64×64 grey crop of the square face box, output 136 values normalised to the
 * crop). Pre/post-processing follows the input specs documented by the package's lib/fr_detect.js and
 * lib/fr_landmark.js.
 */
import sharp from 'sharp';
import { warpAffine, type Affine } from './align.js';
import { runSession, type OrtSession } from './models.js';
import type { DetectedFace, FaceBox, Landmarks5, Point, RgbImage } from './types.js';

export interface DetectorOptions {
  /** Detector input size (the model has fixed priors for 320×240). */
  inputWidth?: number;
  inputHeight?: number;
  /** Minimum face score (default 0.6). */
  scoreThreshold?: number;
  /** IoU above which a lower-scored box is suppressed (default 0.4). */
  nmsIou?: number;
  /**
   * Landmark passes: 1 = landmarks on the detector's square box; 2 = a second pass on a box re-centred from the
   * first pass's landmarks (default 1).
   */
  landmarkPasses?: number;
}

/** Milliseconds spent per stage; the detector adds to `detect` and `landmarks`. */
export interface StageClock {
  detect: number;
  landmarks: number;
}

export interface FaceDetector {
  /** Faces sorted by box area, largest first, in the coordinates of `img`. Stage times are added to `clock`. */
  detect(img: RgbImage, clock?: StageClock): Promise<DetectedFace[]>;
}

interface RawBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

const LANDMARK_SIZE = 64;

export function createFaceDetector(
  deps: { detectSession: OrtSession; landmarkSession: OrtSession },
  options: DetectorOptions = {},
): FaceDetector {
  const inW = options.inputWidth ?? 320;
  const inH = options.inputHeight ?? 240;
  const threshold = options.scoreThreshold ?? 0.6;
  const nmsIou = options.nmsIou ?? 0.4;
  const passes = options.landmarkPasses ?? 1;

  async function detectBoxes(img: RgbImage): Promise<RawBox[]> {
    const resized = await sharp(img.data, {
      raw: { width: img.width, height: img.height, channels: 3 },
    })
      .resize(inW, inH, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    const plane = inW * inH;
    const input = new Float32Array(plane * 3);
    for (let i = 0; i < plane; i++) {
      input[i] = (resized[i * 3]! - 127) / 128;
      input[plane + i] = (resized[i * 3 + 1]! - 127) / 128;
      input[2 * plane + i] = (resized[i * 3 + 2]! - 127) / 128;
    }
    const [scores, boxes] = await runSession(deps.detectSession, 'input', input, [1, 3, inH, inW], ['scores', 'boxes']);
    const candidates: RawBox[] = [];
    const n = scores!.length / 2;
    for (let i = 0; i < n; i++) {
      const score = scores![i * 2 + 1]!;
      if (score < threshold) continue;
      const x1 = boxes![i * 4]! * img.width;
      const y1 = boxes![i * 4 + 1]! * img.height;
      const x2 = boxes![i * 4 + 2]! * img.width;
      const y2 = boxes![i * 4 + 3]! * img.height;
      if (x2 - x1 <= 1 || y2 - y1 <= 1) continue;
      candidates.push({ x1, y1, x2, y2, score });
    }
    return nms(candidates, nmsIou);
  }

  async function landmarksFor(img: RgbImage, square: FaceBox): Promise<Point[]> {
    // Crop + resize as one affine warp (anti-aliased), then grey (ITU-R BT.601) scaled to [0, 1).
    const s = LANDMARK_SIZE / square.width;
    const m: Affine = [s, 0, -square.x * s, 0, s, -square.y * s];
    const crop = warpAffine(img, m, LANDMARK_SIZE, LANDMARK_SIZE);
    const input = new Float32Array(LANDMARK_SIZE * LANDMARK_SIZE);
    for (let i = 0; i < input.length; i++) {
      const r = crop.data[i * 3]!;
      const g = crop.data[i * 3 + 1]!;
      const b = crop.data[i * 3 + 2]!;
      input[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b) / 256;
    }
    const [out] = await runSession(
      deps.landmarkSession,
      'input',
      input,
      [1, 1, LANDMARK_SIZE, LANDMARK_SIZE],
      ['output'],
    );
    const points: Point[] = [];
    for (let i = 0; i < 68; i++) {
      points.push([square.x + out![i * 2]! * square.width, square.y + out![i * 2 + 1]! * square.height]);
    }
    return points;
  }

  return {
    async detect(img, clock) {
      let t0 = performance.now();
      const boxes = await detectBoxes(img);
      if (clock) clock.detect += performance.now() - t0;
      t0 = performance.now();
      const faces: DetectedFace[] = [];
      for (const b of boxes) {
        // The landmark model expects a square crop as tall as the detector's box, centred on it.
        const size = b.y2 - b.y1;
        let square: FaceBox = {
          x: (b.x1 + b.x2) / 2 - size / 2,
          y: b.y1,
          width: size,
          height: size,
        };
        let points = await landmarksFor(img, square);
        for (let pass = 1; pass < passes; pass++) {
          square = recentre(square, points);
          points = await landmarksFor(img, square);
        }
        faces.push({
          box: clampBox({ x: b.x1, y: b.y1, width: b.x2 - b.x1, height: b.y2 - b.y1 }, img),
          score: b.score,
          landmarks5: fivePoints(points),
          landmarks68: points,
        });
      }
      faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
      if (clock) clock.landmarks += performance.now() - t0;
      return faces;
    },
  };
}

/** Moves the square so the landmarks' centre sits where the model put it on average (the box centre). */
function recentre(square: FaceBox, points: Point[]): FaceBox {
  let cx = 0;
  let cy = 0;
  for (const [x, y] of points) {
    cx += x;
    cy += y;
  }
  cx /= points.length;
  cy /= points.length;
  const dx = cx - (square.x + square.width / 2);
  const dy = cy - (square.y + square.height / 2);
  return {
    x: square.x + dx * 0.5,
    y: square.y + dy * 0.5,
    width: square.width,
    height: square.height,
  };
}

function mean(points: Point[], idx: number[]): Point {
  let x = 0;
  let y = 0;
  for (const i of idx) {
    x += points[i]![0];
    y += points[i]![1];
  }
  return [x / idx.length, y / idx.length];
}

/** 68-point iBUG → 5 points in ArcFace order (eye centres from the eyelid points, nose tip, mouth corners). */
export function fivePoints(p: Point[]): Landmarks5 {
  return [mean(p, [37, 38, 40, 41]), mean(p, [43, 44, 46, 47]), mean(p, [30]), mean(p, [48, 60]), mean(p, [54, 64])];
}

function clampBox(b: FaceBox, img: RgbImage): FaceBox {
  const x1 = Math.max(0, b.x);
  const y1 = Math.max(0, b.y);
  const x2 = Math.min(img.width, b.x + b.width);
  const y2 = Math.min(img.height, b.y + b.height);
  return {
    x: x1,
    y: y1,
    width: Math.max(0, x2 - x1),
    height: Math.max(0, y2 - y1),
  };
}

function iou(a: RawBox, b: RawBox): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

/** Greedy non-maximum suppression by score. */
export function nms(boxes: RawBox[], threshold: number): RawBox[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: RawBox[] = [];
  for (const box of sorted) {
    if (kept.every((k) => iou(k, box) <= threshold)) kept.push(box);
  }
  return kept;
}
