/**
 * Live guidance from in-browser face detection: a pure function from the detections in one video frame (and the
 * brightness of the face region) to one guidance code. Guidance only: the server re-checks every uploaded frame.
 */
export type GuidanceCode =
  'no_face' | 'multiple_faces' | 'too_far' | 'too_close' | 'off_centre' | 'too_dark' | 'too_bright' | 'ok';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

export interface GuidanceInput {
  frameWidth: number;
  frameHeight: number;
  faces: Box[];
  /** Mean luma (0–255) of the best face box, or of the whole frame when there is no face. */
  luma: number;
}

export const GUIDANCE_LIMITS = {
  /** Detections below this score are ignored. */
  minScore: 0.5,
  /** A second face counts only when at least this fraction of the largest face's height (background people far away are ignored). */
  secondFaceRatio: 0.35,
  /** Face height as a fraction of the frame's shorter side. */
  minFaceRatio: 0.25,
  maxFaceRatio: 0.8,
  /** Largest distance of the face centre from the frame centre, as a fraction of width / height. */
  maxOffsetX: 0.2,
  maxOffsetY: 0.22,
  minLuma: 55,
  maxLuma: 235,
} as const;

export function evaluateGuidance(input: GuidanceInput, limits = GUIDANCE_LIMITS): GuidanceCode {
  const faces = input.faces.filter((f) => f.score >= limits.minScore).sort((a, b) => b.height - a.height);
  const main = faces[0];
  if (!main) return input.luma < limits.minLuma ? 'too_dark' : 'no_face';
  const others = faces.slice(1).filter((f) => f.height >= main.height * limits.secondFaceRatio);
  if (others.length > 0) return 'multiple_faces';
  const short = Math.min(input.frameWidth, input.frameHeight);
  const ratio = main.height / short;
  if (ratio < limits.minFaceRatio) return 'too_far';
  if (ratio > limits.maxFaceRatio) return 'too_close';
  const cx = (main.x + main.width / 2) / input.frameWidth - 0.5;
  const cy = (main.y + main.height / 2) / input.frameHeight - 0.5;
  if (Math.abs(cx) > limits.maxOffsetX || Math.abs(cy) > limits.maxOffsetY) return 'off_centre';
  if (input.luma < limits.minLuma) return 'too_dark';
  if (input.luma > limits.maxLuma) return 'too_bright';
  return 'ok';
}

/** Mean luma (BT.601) of an RGBA pixel buffer, sampling every `step`-th pixel. */
export function meanLuma(rgba: Uint8ClampedArray, step = 4): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i + 2 < rgba.length; i += 4 * step) {
    sum += 0.299 * rgba[i]! + 0.587 * rgba[i + 1]! + 0.114 * rgba[i + 2]!;
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

/**
 * Debounces guidance: the page may start the challenge only after `needed` consecutive 'ok' readings, so a
 * single lucky frame does not start it.
 */
export function createSteadiness(needed: number): { push(code: GuidanceCode): boolean; reset(): void } {
  let run = 0;
  return {
    push(code) {
      run = code === 'ok' ? run + 1 : 0;
      return run >= needed;
    },
    reset() {
      run = 0;
    },
  };
}
