/**
 * Face recogniser: aligned face crop → L2-normalised embedding. A recogniser is described by data (ONNX file + input
 * spec + alignment template + calibration id) so an operator can plug in another ONNX model without code changes.
 */
import { alignFace, flipHorizontal, ARCFACE_TEMPLATE_112 } from './align.js';
import { faceModelPath, openSession, runSession, type SessionOptions } from './models.js';
import type { Landmarks5, RgbImage } from './types.js';

export interface RecogniserSpec {
  /** Stable id reported in engine info, e.g. `faceplugin-fr_feature`. */
  id: string;
  /** Absolute path of the ONNX file. */
  modelPath: string;
  inputName: string;
  outputName: string;
  /** Square input size in pixels (the template is in this coordinate system). */
  size: number;
  /** value = (pixel − mean) / std, per channel in the model's colour order. */
  mean: [number, number, number];
  std: [number, number, number];
  layout: 'nchw' | 'nhwc';
  colour: 'rgb' | 'bgr';
  /** Five-point alignment template in pixels of the `size × size` input. */
  template: Landmarks5;
  /** Id of the calibration table (see src/engine/calibration.ts) matching this model + pipeline. */
  calibrationId: string;
  /** Embed the face and its mirror image and add the two (then L2-normalise). */
  flipAugment: boolean;
}

/** Default recogniser: `fr_feature.onnx` from faceplugin-face-recognition-js, 512-d, ArcFace template. */
export function defaultRecogniserSpec(): RecogniserSpec {
  return {
    id: 'faceplugin-fr_feature',
    modelPath: faceModelPath('fr_feature'),
    inputName: 'input',
    outputName: 'output',
    size: 112,
    mean: [127.5, 127.5, 127.5],
    std: [128, 128, 128],
    layout: 'nchw',
    colour: 'bgr',
    template: ARCFACE_TEMPLATE_112,
    calibrationId: 'faceplugin-fr_feature',
    flipAugment: false,
  };
}

export interface Recogniser {
  readonly spec: RecogniserSpec;
  /** Aligns the face with its five landmarks and returns the L2-normalised embedding. */
  embed(img: RgbImage, landmarks: Landmarks5): Promise<Float32Array>;
  /** Embeds an already aligned `size × size` crop. */
  embedAligned(aligned: RgbImage): Promise<Float32Array>;
  /**
   * Like `embed`, plus the L2 norm of the raw (un-normalised) model output: a face-likeness signal (upright,
   * well-aligned faces give clearly larger norms than sideways or upside-down ones), used to choose the rotation.
   */
  embedWithNorm(
    img: RgbImage,
    landmarks: Landmarks5,
    clock?: { align: number; embed: number },
  ): Promise<{ embedding: Float32Array; norm: number }>;
  /** Raw feature norm of one forward pass (no mirror image): a cheap face-likeness probe for the orientation search. */
  probeNorm(img: RgbImage, landmarks: Landmarks5): Promise<number>;
  close(): Promise<void>;
}

export async function createRecogniser(spec: RecogniserSpec, sessionOptions?: SessionOptions): Promise<Recogniser> {
  const session = await openSession(spec.modelPath, sessionOptions);

  function toTensor(img: RgbImage): Float32Array {
    const n = spec.size * spec.size;
    const out = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) {
        const src = spec.colour === 'rgb' ? c : 2 - c;
        const v = (img.data[i * 3 + src]! - spec.mean[c]!) / spec.std[c]!;
        out[spec.layout === 'nchw' ? c * n + i : i * 3 + c] = v;
      }
    }
    return out;
  }

  async function raw(img: RgbImage): Promise<Float32Array> {
    const dims = spec.layout === 'nchw' ? [1, 3, spec.size, spec.size] : [1, spec.size, spec.size, 3];
    const [out] = await runSession(session, spec.inputName, toTensor(img), dims, [spec.outputName]);
    return out!;
  }

  async function embedAlignedWithNorm(aligned: RgbImage): Promise<{ embedding: Float32Array; norm: number }> {
    const e = await raw(aligned);
    let norm = norm2(e);
    if (spec.flipAugment) {
      const f = await raw(flipHorizontal(aligned));
      norm = (norm + norm2(f)) / 2;
      for (let i = 0; i < e.length; i++) e[i]! += f[i]!;
    }
    return { embedding: l2normalise(e), norm };
  }

  async function embedAligned(aligned: RgbImage): Promise<Float32Array> {
    return (await embedAlignedWithNorm(aligned)).embedding;
  }

  return {
    spec,
    embedAligned,
    embed(img, landmarks) {
      return embedAligned(alignFace(img, landmarks, spec.template, spec.size));
    },
    async embedWithNorm(img, landmarks, clock) {
      const t0 = performance.now();
      const aligned = alignFace(img, landmarks, spec.template, spec.size);
      const t1 = performance.now();
      const out = await embedAlignedWithNorm(aligned);
      if (clock) {
        clock.align += t1 - t0;
        clock.embed += performance.now() - t1;
      }
      return out;
    },
    async probeNorm(img, landmarks) {
      return norm2(await raw(alignFace(img, landmarks, spec.template, spec.size)));
    },
    async close() {
      await session.release();
    },
  };
}

function norm2(v: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

export function l2normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

/** Cosine similarity of two L2-normalised embeddings (their dot product), in [−1, 1]. */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error('embedding lengths differ');
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}
