/**
 * Passive (single-image) liveness with faceplugin's `fr_liveness.onnx` (a MiniFASNet-style classifier).
 *
 * Input spec, taken from the package's browser code (lib/fr_liveness.js) and checked by measurement
 * (docs/liveness.md): a window 2.7× the detector box, centred on the box and slid back inside the image, resized
 * to 128×128; raw 0–255 values, NCHW, channels in R,G,B order (the browser code reads an RGBA canvas); output
 * [1,3] logits → softmax. The package's own demos read class 0 as the live score.
 *
 * Single-image liveness is a low-risk check only; the strong check is the H5 action/flash flow.
 */
import { ShirenError } from '../errors.js';
import { faceModelDir, openSession, runSession, type OrtSession } from './models.js';
import type { DetectedFace, FaceBox, LivenessScore, RgbImage } from './types.js';
import { join } from 'node:path';

export interface LivenessScorerOptions {
  /** Directory holding fr_liveness.onnx (default: the faceplugin-face-recognition-js package). */
  modelDir?: string;
  /** Live when score ≥ threshold (default DEFAULT_LIVENESS_THRESHOLD). */
  threshold?: number;
  /** Context window as a multiple of the face box (default 2.7, as in the package's code). */
  cropScale?: number;
  /** Channel order fed to the model (default 'rgb'; 'bgr' exists only for the evaluation in docs/liveness.md). */
  channelOrder?: 'rgb' | 'bgr';
  /** ONNX Runtime intra-op threads (default 1). */
  threads?: number;
}

export interface LivenessScorer {
  score(img: RgbImage, face: DetectedFace): Promise<LivenessScore>;
  readonly threshold: number;
  readonly info: { models: string[]; version: string };
  close(): Promise<void>;
}

/**
 * Default decision threshold on the fr_liveness live probability. Chosen from `npx tsx scripts/eval-liveness.ts`
 * (see docs/liveness.md for the table and why this value).
 */
export const DEFAULT_LIVENESS_THRESHOLD = 0.5;

const INPUT = 128;
const MODEL_ID = 'faceplugin-fr_liveness';

/**
 * Window of `scale` × the box, centred on the box, shrunk so it fits the image and shifted back inside it
 * (the geometry of the package's crop, re-implemented here). Integer pixel rectangle.
 */
export function livenessWindow(box: FaceBox, imgWidth: number, imgHeight: number, scale: number): FaceBox {
  if (!(box.width > 0 && box.height > 0)) {
    throw new ShirenError('invalid_request', 'The face box must have a positive size.', { details: { box } });
  }
  const k = Math.min((imgHeight - 1) / box.height, (imgWidth - 1) / box.width, scale);
  const w = box.width * k;
  const h = box.height * k;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  let x0 = cx - w / 2;
  let y0 = cy - h / 2;
  x0 = Math.min(Math.max(0, x0), imgWidth - 1 - w);
  y0 = Math.min(Math.max(0, y0), imgHeight - 1 - h);
  const left = Math.max(0, Math.floor(x0));
  const top = Math.max(0, Math.floor(y0));
  return {
    x: left,
    y: top,
    width: Math.max(1, Math.min(imgWidth - left, Math.floor(w))),
    height: Math.max(1, Math.min(imgHeight - top, Math.floor(h))),
  };
}

/**
 * Builds the [1,3,128,128] input: crop, resize, planar float 0–255 in the requested channel order. The resize is
 * plain bilinear sampling at pixel centres without anti-aliasing (what OpenCV's INTER_LINEAR does, which the
 * package's code uses); the model's scores measurably depend on this (docs/liveness.md).
 */
export function livenessInput(img: RgbImage, box: FaceBox, scale: number, channelOrder: 'rgb' | 'bgr'): Float32Array {
  const win = livenessWindow(box, img.width, img.height, scale);
  const plane = INPUT * INPUT;
  const out = new Float32Array(3 * plane);
  const sx = win.width / INPUT;
  const sy = win.height / INPUT;
  const { data, width } = img;
  const maxX = win.x + win.width - 1;
  const maxY = win.y + win.height - 1;
  for (let y = 0; y < INPUT; y++) {
    const v = Math.min(Math.max(win.y, win.y + (y + 0.5) * sy - 0.5), maxY);
    const y0 = Math.floor(v);
    const y1 = Math.min(y0 + 1, maxY);
    const fy = v - y0;
    for (let x = 0; x < INPUT; x++) {
      const u = Math.min(Math.max(win.x, win.x + (x + 0.5) * sx - 0.5), maxX);
      const x0 = Math.floor(u);
      const x1 = Math.min(x0 + 1, maxX);
      const fx = u - x0;
      const p00 = (y0 * width + x0) * 3;
      const p01 = (y0 * width + x1) * 3;
      const p10 = (y1 * width + x0) * 3;
      const p11 = (y1 * width + x1) * 3;
      for (let c = 0; c < 3; c++) {
        const val =
          (1 - fy) * ((1 - fx) * data[p00 + c]! + fx * data[p01 + c]!) +
          fy * ((1 - fx) * data[p10 + c]! + fx * data[p11 + c]!);
        const dst = channelOrder === 'rgb' ? c : 2 - c;
        out[dst * plane + y * INPUT + x] = val;
      }
    }
  }
  return out;
}

export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const e: number[] = [];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = Math.exp(logits[i]! - max);
    e.push(v);
    sum += v;
  }
  return e.map((v) => v / sum);
}

export async function createLivenessScorer(opts: LivenessScorerOptions = {}): Promise<LivenessScorer> {
  const threshold = opts.threshold ?? DEFAULT_LIVENESS_THRESHOLD;
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new ShirenError('invalid_request', 'The liveness threshold must lie in [0, 1].', { details: { threshold } });
  }
  const scale = opts.cropScale ?? 2.7;
  const channelOrder = opts.channelOrder ?? 'rgb';
  const path = join(opts.modelDir ?? faceModelDir(), 'fr_liveness.onnx');
  let session: OrtSession | undefined = await openSession(path, {
    threads: opts.threads ?? 1,
  });

  return {
    threshold,
    info: {
      models: [MODEL_ID],
      version: `${MODEL_ID}@${scale}x-${channelOrder}-class0`,
    },
    async score(img, face) {
      if (!session) throw new ShirenError('engine_unavailable', 'The liveness scorer is closed.');
      const input = livenessInput(img, face.box, scale, channelOrder);
      const [logits] = await runSession(session, 'input', input, [1, 3, INPUT, INPUT], ['output']);
      const probs = softmax(logits!);
      const live = probs[0]!;
      return { score: live, models: { [MODEL_ID]: live } };
    },
    async close() {
      const s = session;
      session = undefined;
      await s?.release();
    },
  };
}
