/**
 * Geometry: least-squares similarity transform (Umeyama 1991) from detected landmarks to a template, and an
 * anti-aliased affine warp of an RGB image (bilinear, supersampled when the warp shrinks the image).
 */
import type { Landmarks5, Point, RgbImage } from './types.js';

/** 2×3 affine matrix [a, b, tx, c, d, ty]: x' = a·x + b·y + tx, y' = c·x + d·y + ty. */
export type Affine = [number, number, number, number, number, number];

/** The standard ArcFace 112×112 five-point template (insightface `arcface_dst`). */
export const ARCFACE_TEMPLATE_112: Landmarks5 = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/**
 * Least-squares similarity (rotation + uniform scale + translation, no reflection) mapping `src` onto `dst`.
 * Closed form of Umeyama's method for 2-D points.
 */
export function similarityTransform(src: readonly Point[], dst: readonly Point[]): Affine {
  const n = src.length;
  if (n < 2 || n !== dst.length) throw new Error('similarityTransform needs ≥ 2 matching points');
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i]![0];
    sy += src[i]![1];
    dx += dst[i]![0];
    dy += dst[i]![1];
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  // Cross-covariance terms and source variance.
  let a = 0; // Σ (xs·xd + ys·yd)
  let b = 0; // Σ (xs·yd − ys·xd)
  let varSrc = 0;
  for (let i = 0; i < n; i++) {
    const xs = src[i]![0] - sx;
    const ys = src[i]![1] - sy;
    const xd = dst[i]![0] - dx;
    const yd = dst[i]![1] - dy;
    a += xs * xd + ys * yd;
    b += xs * yd - ys * xd;
    varSrc += xs * xs + ys * ys;
  }
  if (varSrc === 0) throw new Error('similarityTransform: degenerate source points');
  // For 2-D the optimal rotation angle is atan2(b, a) and scale = sqrt(a² + b²) / varSrc.
  const p = a / varSrc; // s·cosθ
  const q = b / varSrc; // s·sinθ
  return [p, -q, dx - (p * sx - q * sy), q, p, dy - (q * sx + p * sy)];
}

export function invertAffine(m: Affine): Affine {
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  if (det === 0) throw new Error('invertAffine: singular matrix');
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  return [ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty)];
}

export function applyAffine(m: Affine, p: Point): Point {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

/**
 * Warps `img` by `m` (source → destination) into an `outWidth × outHeight` RGB image. Pixels outside the source
 * are black. When the destination is smaller than the source region (downscale factor k > 1), each output pixel
 * averages ⌈k⌉² bilinear samples so large faces in big photos are not aliased.
 */
export function warpAffine(img: RgbImage, m: Affine, outWidth: number, outHeight: number): RgbImage {
  const inv = invertAffine(m);
  const scale = Math.sqrt(Math.abs(inv[0] * inv[4] - inv[1] * inv[3])); // source pixels per destination pixel
  const k = Math.max(1, Math.min(8, Math.ceil(scale - 0.25)));
  const out = new Uint8Array(outWidth * outHeight * 3);
  const { data, width, height } = img;
  const [i0, i1, i2, i3, i4, i5] = inv;
  const n = k * k;
  const acc = [0, 0, 0];
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < k; sy++) {
        const py = y + (sy + 0.5) / k - 0.5;
        for (let sx = 0; sx < k; sx++) {
          const px = x + (sx + 0.5) / k - 0.5;
          const u = i0 * px + i1 * py + i2;
          const v = i3 * px + i4 * py + i5;
          const x0 = Math.floor(u);
          const y0 = Math.floor(v);
          if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
            // Fast path: all four neighbours inside (same arithmetic as sampleBilinear, without the checks).
            const fx = u - x0;
            const fy = v - y0;
            const w00 = (1 - fy) * (1 - fx);
            const w01 = (1 - fy) * fx;
            const w10 = fy * (1 - fx);
            const w11 = fy * fx;
            const p00 = (y0 * width + x0) * 3;
            const p10 = p00 + width * 3;
            r += w00 * data[p00]!;
            g += w00 * data[p00 + 1]!;
            b += w00 * data[p00 + 2]!;
            r += w01 * data[p00 + 3]!;
            g += w01 * data[p00 + 4]!;
            b += w01 * data[p00 + 5]!;
            r += w10 * data[p10]!;
            g += w10 * data[p10 + 1]!;
            b += w10 * data[p10 + 2]!;
            r += w11 * data[p10 + 3]!;
            g += w11 * data[p10 + 4]!;
            b += w11 * data[p10 + 5]!;
          } else {
            acc[0] = r;
            acc[1] = g;
            acc[2] = b;
            sampleBilinear(data, width, height, u, v, acc);
            r = acc[0]!;
            g = acc[1]!;
            b = acc[2]!;
          }
        }
      }
      const o = (y * outWidth + x) * 3;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

function sampleBilinear(data: Uint8Array, width: number, height: number, u: number, v: number, acc: number[]): void {
  if (u <= -1 || v <= -1 || u >= width || v >= height) return;
  const x0 = Math.floor(u);
  const y0 = Math.floor(v);
  const fx = u - x0;
  const fy = v - y0;
  for (let j = 0; j < 2; j++) {
    const yy = y0 + j;
    if (yy < 0 || yy >= height) continue;
    const wy = j === 0 ? 1 - fy : fy;
    for (let i = 0; i < 2; i++) {
      const xx = x0 + i;
      if (xx < 0 || xx >= width) continue;
      const w = wy * (i === 0 ? 1 - fx : fx);
      if (w === 0) continue;
      const p = (yy * width + xx) * 3;
      acc[0]! += w * data[p]!;
      acc[1]! += w * data[p + 1]!;
      acc[2]! += w * data[p + 2]!;
    }
  }
}

/** Aligns a face to a template of size `size` (square) using its five landmarks. */
export function alignFace(img: RgbImage, landmarks: Landmarks5, template: Landmarks5, size: number): RgbImage {
  return warpAffine(img, similarityTransform(landmarks, template), size, size);
}

/** Mirrors an RGB image left ↔ right. */
export function flipHorizontal(img: RgbImage): RgbImage {
  const { width, height, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = (y * width + (width - 1 - x)) * 3;
      out[d] = data[s]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s + 2]!;
    }
  }
  return { data: out, width, height };
}
