/** Checks on the frames a page uploads: JPEG, size, order, and orientation against the clip's source image. */
import sharp, { type Sharp } from 'sharp';
import type { Source } from '../test/fake-camera.js';

export interface UploadedFrame {
  t: number;
  step: string;
  image: string;
}

async function grey(input: Buffer | Sharp, flop = false): Promise<Uint8Array> {
  let img = Buffer.isBuffer(input) ? sharp(input) : input;
  if (flop) img = img.flop();
  const { data } = await img.resize(64, 48, { fit: 'fill' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

/**
 * How a captured frame compares with the fake camera's source image, as is and mirrored: a raw (unmirrored) frame
 * is closer to the source than to its mirror image.
 */
export async function orientation(frameJpeg: Buffer, source: Source): Promise<{ direct: number; mirrored: number }> {
  const src = () => {
    let img = sharp(source.file);
    if (source.crop) img = img.extract(source.crop);
    return img;
  };
  const frame = await grey(frameJpeg);
  return {
    direct: meanAbsDiff(frame, await grey(src())),
    mirrored: meanAbsDiff(frame, await grey(src(), true)),
  };
}

export async function jpegSize(image: string): Promise<{ format: string; width: number; height: number }> {
  const m = await sharp(Buffer.from(image, 'base64')).metadata();
  return { format: m.format ?? '?', width: m.width ?? 0, height: m.height ?? 0 };
}

/** The distinct steps in upload order, consecutive repeats collapsed: ['neutral', 'turn_left', 'blink']. */
export function stepSequence(frames: UploadedFrame[]): string[] {
  const out: string[] = [];
  for (const f of frames) if (out[out.length - 1] !== f.step) out.push(f.step);
  return out;
}

/** Largest mean grey difference (0–255, at 64×48) between the first frame and any later one. */
export async function frameMotion(frames: UploadedFrame[]): Promise<number> {
  const greys = await Promise.all(frames.map((f) => grey(Buffer.from(f.image, 'base64'))));
  return Math.max(0, ...greys.slice(1).map((g) => meanAbsDiff(greys[0]!, g)));
}
