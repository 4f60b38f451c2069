/**
 * Fake camera clips for Chromium's --use-file-for-fake-video-capture: raw YUV 4:2:0 frames in a Y4M container,
 * written from ordinary images with sharp. Chromium loops the clip, so a clip of identical frames is a still
 * photo held in front of the camera.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { REPO_ROOT } from './helpers.js';

export interface Crop {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Y4mOptions {
  /** Output frame size (even numbers); default 640×480. */
  width?: number;
  height?: number;
  /** Frames per second written in the header; default 15. */
  fps?: number;
}

/** A face photo shipped in an npm package: one frontal face, the crop keeps the neighbours out of the frame. */
export const STILL_FACE: Source = {
  file: path.join(REPO_ROOT, 'node_modules/@vladmandic/face-api/demo/sample3.jpg'),
  crop: { left: 330, top: 198, width: 720, height: 540 },
};

/** The whole group photo of STILL_FACE: several faces in the frame. */
export const GROUP_PHOTO: Source = { file: STILL_FACE.file };

/** STILL_FACE in a dark room. */
export const DARK_FACE: Source = { ...STILL_FACE, brightness: 0.15 };

/** Converts packed RGB (width × height × 3) to planar I420 (BT.601, studio range as Chromium expects). */
export function rgbToI420(rgb: Uint8Array, width: number, height: number): Uint8Array {
  if (width % 2 || height % 2) throw new Error('width and height must be even');
  const ySize = width * height;
  const cSize = ySize / 4;
  const out = new Uint8Array(ySize + 2 * cSize);
  for (let i = 0, p = 0; i < ySize; i++, p += 3) {
    const r = rgb[p]!;
    const g = rgb[p + 1]!;
    const b = rgb[p + 2]!;
    out[i] = clamp(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
  }
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const p = ((y + dy) * width + x + dx) * 3;
        r += rgb[p]!;
        g += rgb[p + 1]!;
        b += rgb[p + 2]!;
      }
      r /= 4;
      g /= 4;
      b /= 4;
      const c = (y / 2) * (width / 2) + x / 2;
      out[ySize + c] = clamp(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
      out[ySize + cSize + c] = clamp(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
    }
  }
  return out;
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

export interface Source {
  file: string;
  crop?: Crop;
  /** Multiplies every pixel value (0.2 = a dark room). */
  brightness?: number;
}

/** Decodes the source image, crops, resizes (cover) to the frame size and returns I420 bytes. */
export async function imageToI420(source: Source, width: number, height: number): Promise<Uint8Array> {
  let img = sharp(source.file).rotate();
  if (source.crop) img = img.extract(source.crop);
  if (source.brightness !== undefined) img = img.linear(source.brightness, 0);
  const { data } = await img
    .resize(width, height, { fit: 'cover' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return rgbToI420(new Uint8Array(data.buffer, data.byteOffset, data.length), width, height);
}

/** Writes a Y4M clip of the given I420 frames (each repeated `repeat` times) to `out`. */
export async function writeY4m(
  out: string,
  frames: { i420: Uint8Array; repeat?: number }[],
  opts: Y4mOptions = {},
): Promise<string> {
  const width = opts.width ?? 640;
  const height = opts.height ?? 480;
  const fps = opts.fps ?? 15;
  const expected = (width * height * 3) / 2;
  const fh = await open(out, 'w');
  try {
    await fh.write(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
    for (const f of frames) {
      if (f.i420.length !== expected) throw new Error(`frame has ${f.i420.length} bytes, expected ${expected}`);
      for (let i = 0; i < (f.repeat ?? 1); i++) {
        await fh.write('FRAME\n');
        await fh.write(f.i420);
      }
    }
  } finally {
    await fh.close();
  }
  return out;
}

/** A still photo as a looping camera clip: `seconds` of identical frames. */
export async function writeStillY4m(
  out: string,
  source: Source,
  opts: Y4mOptions & { seconds?: number } = {},
): Promise<string> {
  const width = opts.width ?? 640;
  const height = opts.height ?? 480;
  const fps = opts.fps ?? 15;
  const i420 = await imageToI420(source, width, height);
  return writeY4m(out, [{ i420, repeat: Math.max(1, Math.round((opts.seconds ?? 1) * fps)) }], { width, height, fps });
}

/**
 * A photo held in a hand: the crop window drifts on a smooth loop (up to `shiftPx` output pixels sideways, half that
 * vertically, and ±`zoom` in scale), so landmarks move between frames the way a live, never perfectly still face
 * does. Needs `source.crop`, with room around it in the image.
 */
export async function writeSwayY4m(
  out: string,
  source: Source & { crop: Crop },
  opts: Y4mOptions & { seconds?: number; shiftPx?: number; zoom?: number } = {},
): Promise<string> {
  const width = opts.width ?? 640;
  const height = opts.height ?? 480;
  const fps = opts.fps ?? 15;
  const n = Math.max(2, Math.round((opts.seconds ?? 2) * fps));
  const k = source.crop.width / width;
  const shift = (opts.shiftPx ?? 10) * k;
  const zoom = opts.zoom ?? 0.03;
  const frames: { i420: Uint8Array }[] = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    const scale = 1 + zoom * Math.sin(2 * a);
    const w = Math.round(source.crop.width * scale);
    const h = Math.round(source.crop.height * scale);
    const cx = source.crop.left + source.crop.width / 2 + shift * Math.sin(a);
    const cy = source.crop.top + source.crop.height / 2 + (shift / 2) * Math.cos(a);
    const crop = { left: Math.round(cx - w / 2), top: Math.round(cy - h / 2), width: w, height: h };
    frames.push({ i420: await imageToI420({ ...source, crop }, width, height) });
  }
  return writeY4m(out, frames, { width, height, fps });
}
