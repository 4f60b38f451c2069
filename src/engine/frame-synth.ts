/**
 * Synthetic variations of a real camera frame, used by tests and by the challenge measurements
 * (src/verify/liveness/eval-frames.ts, docs/liveness-challenges.md). They imitate what a live person does in front
 * of the camera — close the eyes, open the mouth, turn the head, tilt it, sit in the light of a coloured screen —
 * by deforming a real face photo. They are approximations: a 2-D warp is not a 3-D head turn.
 */
import sharp from 'sharp';
import type { DetectedFace, Point, RgbImage } from './types.js';

/** Cuts a square "selfie" frame around a face (side 2.2 × the face box, padded grey at the photo's edge). */
export async function selfieFrame(rgb: RgbImage, face: DetectedFace, size = 480): Promise<RgbImage> {
  const b = face.box;
  const side = Math.round(Math.max(b.width, b.height) * 2.2);
  const left = Math.round(b.x + b.width / 2 - side / 2);
  const top = Math.round(b.y + b.height / 2 - side / 2);
  const ext = {
    left: Math.max(0, -left),
    top: Math.max(0, -top),
    right: Math.max(0, left + side - rgb.width),
    bottom: Math.max(0, top + side - rgb.height),
  };
  const { data, info } = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .extend({ ...ext, background: { r: 128, g: 128, b: 128 } })
    .extract({ left: left + ext.left, top: top + ext.top, width: side, height: side })
    .resize(size, size)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}

/** Bilinear sample of (x, y) (clamped to the image) written to out[o..o+2]. */
function sample(img: RgbImage, x: number, y: number, out: Uint8Array, o: number): void {
  const cx = Math.max(0, Math.min(img.width - 1.001, x));
  const cy = Math.max(0, Math.min(img.height - 1.001, y));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const fx = cx - x0;
  const fy = cy - y0;
  const i = (y0 * img.width + x0) * 3;
  const j = i + img.width * 3;
  for (let c = 0; c < 3; c++) {
    const top = img.data[i + c]! * (1 - fx) + img.data[i + 3 + c]! * fx;
    const bottom = img.data[j + c]! * (1 - fx) + img.data[j + 3 + c]! * fx;
    out[o + c] = Math.round(top * (1 - fy) + bottom * fy);
  }
}

function centre(p: readonly Point[], from: number, count: number): Point {
  let x = 0;
  let y = 0;
  for (let i = from; i < from + count; i++) {
    x += p[i]![0];
    y += p[i]![1];
  }
  return [x / count, y / count];
}

/**
 * Closes both eyes by squashing each eye region vertically towards the eye's centre line: the eyelid skin above and
 * below moves in and covers the eye. `openness` 1 = unchanged, 0.2 ≈ closed (a dark lash line remains).
 */
export function closeEyes(img: RgbImage, p: readonly Point[], openness: number): RgbImage {
  const out = new Uint8Array(img.data);
  for (const o of [36, 42]) {
    const c = centre(p, o, 6);
    const w = Math.hypot(p[o + 3]![0] - p[o]![0], p[o + 3]![1] - p[o]![1]);
    const H = 0.55 * w;
    const W = 0.85 * w;
    for (let y = Math.floor(c[1] - H); y <= Math.ceil(c[1] + H); y++) {
      for (let x = Math.floor(c[0] - W); x <= Math.ceil(c[0] + W); x++) {
        if (x < 0 || y < 0 || x >= img.width || y >= img.height) continue;
        const dx = Math.abs(x - c[0]) / W;
        const dy = y - c[1];
        if (Math.abs(dy) > H || dx > 1) continue;
        const wx = dx < 0.6 ? 1 : (1 - dx) / 0.4; // fades out towards the eye corners
        const t = Math.abs(dy) / H;
        // Monotone map from output to source offset: the centre is compressed by `openness`, the edge stays put.
        const src = Math.sign(dy) * Math.min(H, (H * t) / Math.max(openness + (1 - openness) * t, 1e-3));
        sample(img, x, c[1] + src * wx + dy * (1 - wx), out, (y * img.width + x) * 3);
      }
    }
  }
  return { data: out, width: img.width, height: img.height };
}

/**
 * Opens the mouth: everything below the lip line moves down by `gap` × mouth width (fading out sideways and below
 * the chin) and the gap between the lips is painted as a dark mouth cavity.
 */
export function openMouth(img: RgbImage, p: readonly Point[], gap: number): RgbImage {
  const out = new Uint8Array(img.data);
  const ml = p[48]!;
  const mr = p[54]!;
  const mw = Math.hypot(mr[0] - ml[0], mr[1] - ml[1]);
  const g0 = gap * mw;
  const lip = [61, 62, 63, 65, 66, 67].reduce((s, i) => s + p[i]![1], 0) / 6;
  const halfW = Math.abs(p[12]![0] - p[4]![0]) / 2 + 0.1 * mw;
  const cx = (ml[0] + mr[0]) / 2;
  const bottom = Math.max(p[8]![1], lip) + 0.6 * mw;
  for (let y = Math.max(0, Math.floor(lip)); y < Math.min(img.height, bottom + g0); y++) {
    for (let x = Math.max(0, Math.floor(cx - halfW)); x <= Math.min(img.width - 1, Math.ceil(cx + halfW)); x++) {
      const dx = Math.abs(x - cx) / halfW;
      const g = g0 * (dx < 0.5 ? 1 : Math.max(0, (1 - dx) / 0.5));
      const fade = y > bottom ? Math.max(0, 1 - (y - bottom) / Math.max(1, g0)) : 1;
      const sy = y - lip < g ? lip : y - g;
      const o = (y * img.width + x) * 3;
      sample(img, x, y + (sy - y) * fade, out, o);
      const ex = (x - cx) / (0.42 * mw);
      const ey = (y - lip - g / 2) / Math.max(0.5, g / 2);
      if (g > 1 && ex * ex + ey * ey < 1) {
        out[o] = 45;
        out[o + 1] = 18;
        out[o + 2] = 22;
      }
    }
  }
  return { data: out, width: img.width, height: img.height };
}

/**
 * Turns the head: the frame is wrapped on a vertical cylinder (axis through `cx`, radius `radius`) and the cylinder
 * is rotated by `degrees`. Positive = the content moves to the image's right, i.e. the person turns to their own left
 * (unmirrored camera frame).
 */
export function turnHead(img: RgbImage, cx: number, radius: number, degrees: number): RgbImage {
  const out = new Uint8Array(img.data.length);
  const phi = (degrees * Math.PI) / 180;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const u = (x - cx) / radius;
      let sx = x;
      if (Math.abs(u) < 1) {
        const th = Math.asin(u) - phi;
        if (Math.abs(th) < Math.PI / 2) sx = cx + radius * Math.sin(th);
      }
      sample(img, sx, y, out, (y * img.width + x) * 3);
    }
  }
  return { data: out, width: img.width, height: img.height };
}

/**
 * Nods the head: like `turnHead` with a horizontal cylinder axis through `cy`. Positive = the content moves down,
 * i.e. the person looks down.
 */
export function nodHead(img: RgbImage, cy: number, radius: number, degrees: number): RgbImage {
  const out = new Uint8Array(img.data.length);
  const phi = (degrees * Math.PI) / 180;
  for (let y = 0; y < img.height; y++) {
    const v = (y - cy) / radius;
    let sy = y;
    if (Math.abs(v) < 1) {
      const th = Math.asin(v) - phi;
      if (Math.abs(th) < Math.PI / 2) sy = cy + radius * Math.sin(th);
    }
    for (let x = 0; x < img.width; x++) sample(img, x, sy, out, (y * img.width + x) * 3);
  }
  return { data: out, width: img.width, height: img.height };
}

/** Rotates the frame by `degrees` (clockwise) about its centre, keeping its size. */
export async function rotateFrame(img: RgbImage, degrees: number): Promise<RgbImage> {
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .rotate(degrees, { background: { r: 128, g: 128, b: 128 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const left = Math.floor((info.width - img.width) / 2);
  const top = Math.floor((info.height - img.height) / 2);
  const cut = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .extract({ left, top, width: img.width, height: img.height })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(cut.buffer, cut.byteOffset, cut.byteLength), width: img.width, height: img.height };
}

/** Mirrors the frame left↔right. */
export function mirrorFrame(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * 3;
      const d = (y * img.width + img.width - 1 - x) * 3;
      out[d] = img.data[s]!;
      out[d + 1] = img.data[s + 1]!;
      out[d + 2] = img.data[s + 2]!;
    }
  }
  return { data: out, width: img.width, height: img.height };
}

/**
 * Lights the scene with a coloured screen: each pixel's reflected light gains `strength` × the screen colour
 * (multiplicative, as skin reflects the light falling on it), weighted by `weight(x, y)` (1 near the screen = the
 * face, less for the distant background), then scaled by `gain` (the camera's exposure).
 */
export function screenLight(
  img: RgbImage,
  colour: readonly [number, number, number],
  strength: number,
  weight: (x: number, y: number) => number,
  gain = 1,
): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const w = strength * weight(x, y);
      const o = (y * img.width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = (img.data[o + c]! * (1 + w * (colour[c]! / 255)) * gain) / (1 + w * 0.5);
        out[o + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { data: out, width: img.width, height: img.height };
}

/** Adds uniform noise of ± `amplitude` per channel from a seeded generator (sensor noise). */
export function addNoise(img: RgbImage, amplitude: number, seed = 1): RgbImage {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.max(0, Math.min(255, Math.round(img.data[i]! + (rand() * 2 - 1) * amplitude)));
  }
  return { data: out, width: img.width, height: img.height };
}
