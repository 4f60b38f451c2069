/**
 * Image input: bytes / base64 / data URL → validated, EXIF-oriented, tightly packed RGB.
 *
 * Order of checks (each cheap step first, so hostile input fails before any pixel is decoded):
 *  1. byte limit on the (decoded) input bytes        → image_too_large
 *  2. magic bytes: JPEG, PNG, WebP or BMP            → invalid_image
 *  3. header dimensions vs the pixel limit           → image_too_many_pixels (decompression bombs)
 *  4. full decode with sharp (`failOn: 'error'`)     → image_corrupt (truncated / broken data)
 */
import sharp from 'sharp';
import { ShirenError } from '../errors.js';
import type { FaceBox, RgbImage } from './types.js';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'bmp';

export interface ImageLimits {
  /** Maximum number of (decoded) input bytes. */
  maxImageBytes: number;
  /** Maximum width × height, checked on the header before decoding. */
  maxPixels: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = Object.freeze({
  maxImageBytes: 5 * 1024 * 1024,
  maxPixels: 40_000_000,
});

export type ImageInput = Uint8Array | string;

export interface LoadedImage {
  /** Upright (EXIF orientation applied) RGB pixels, cropped when a crop was requested. */
  rgb: RgbImage;
  format: ImageFormat;
  /** EXIF orientation tag found in the file (1 when absent). */
  exifOrientation: number;
}

const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Turns raw bytes, a base64 string or a data URL into bytes, enforcing the byte limit. */
export function inputToBytes(input: ImageInput, maxImageBytes: number): Uint8Array {
  if (input instanceof Uint8Array) {
    if (input.byteLength > maxImageBytes) throw tooLarge(input.byteLength, maxImageBytes);
    return input;
  }
  if (typeof input !== 'string') throw new ShirenError('invalid_image', 'Image must be bytes, base64 or a data URL.');
  let b64 = input;
  if (b64.startsWith('data:')) {
    const comma = b64.indexOf(',');
    if (comma < 0 || !/;base64$/i.test(b64.slice(0, comma))) {
      throw new ShirenError('invalid_image', 'Only base64 data URLs are supported.');
    }
    b64 = b64.slice(comma + 1);
  }
  b64 = b64.replace(/\s+/g, '');
  // Reject before allocating: base64 carries 3 bytes per 4 characters.
  const estimated = Math.floor((b64.length * 3) / 4) - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
  if (estimated > maxImageBytes) throw tooLarge(estimated, maxImageBytes);
  if (b64.length === 0 || !BASE64_RE.test(b64))
    throw new ShirenError('invalid_image', 'The string is not valid base64.');
  const bytes = Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function tooLarge(bytes: number, limit: number): ShirenError {
  return new ShirenError('image_too_large', `The image has ${bytes} bytes; the limit is ${limit}.`, {
    details: { bytes, limit },
  });
}

/** Identifies the container from its magic bytes, or returns undefined. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (
    bytes.length >= 8 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47 &&
    bytes[4] === 0x0d &&
    bytes[5] === 0x0a &&
    bytes[6] === 0x1a &&
    bytes[7] === 0x0a
  ) {
    return 'png';
  }
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  if (bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  return undefined;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

// ---------------------------------------------------------------------------------------------------------------
// BMP (sharp/libvips has no BMP loader): uncompressed 24-bit and 32-bit (BI_RGB or BI_BITFIELDS), both row orders.
// ---------------------------------------------------------------------------------------------------------------

interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  bitsPerPixel: number;
  dataOffset: number;
  masks: [number, number, number] | undefined;
}

export function readBmpHeader(bytes: Uint8Array): BmpHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 26 || bytes[0] !== 0x42 || bytes[1] !== 0x4d) throw new ShirenError('invalid_image', 'Not a BMP.');
  const dataOffset = view.getUint32(10, true);
  const dibSize = view.getUint32(14, true);
  if (dibSize < 40 || bytes.length < 14 + dibSize) {
    throw new ShirenError('invalid_image', 'Unsupported BMP header (only BITMAPINFOHEADER or later).');
  }
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bitsPerPixel = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  if (width <= 0 || rawHeight === 0) throw new ShirenError('invalid_image', 'BMP has invalid dimensions.');
  if (bitsPerPixel !== 24 && bitsPerPixel !== 32) {
    throw new ShirenError('invalid_image', `Unsupported BMP bit depth ${bitsPerPixel} (24 or 32 supported).`);
  }
  let masks: [number, number, number] | undefined;
  if (compression === 3 || compression === 6) {
    if (bitsPerPixel !== 32) throw new ShirenError('invalid_image', 'BMP bitfields are only supported at 32 bits.');
    // Masks follow a 40-byte header, or sit inside V4/V5 headers at the same offset.
    if (bytes.length < 14 + 40 + 12) throw new ShirenError('image_corrupt', 'BMP bitfield masks are missing.');
    masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
  } else if (compression !== 0) {
    throw new ShirenError('invalid_image', 'Compressed BMP is not supported.');
  }
  return {
    width,
    height: Math.abs(rawHeight),
    topDown: rawHeight < 0,
    bitsPerPixel,
    dataOffset,
    masks,
  };
}

/** Decodes an uncompressed 24/32-bit BMP into RGB (alpha dropped). */
export function decodeBmp(bytes: Uint8Array, header: BmpHeader = readBmpHeader(bytes)): RgbImage {
  const { width, height, topDown, bitsPerPixel, dataOffset, masks } = header;
  const bytesPerPixel = bitsPerPixel / 8;
  const stride = Math.ceil((width * bytesPerPixel) / 4) * 4;
  if (dataOffset + stride * (height - 1) + width * bytesPerPixel > bytes.length) {
    throw new ShirenError('image_corrupt', 'The BMP pixel data is truncated.');
  }
  const out = new Uint8Array(width * height * 3);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const channel = masks?.map((mask) => ({
    mask,
    shift: mask === 0 ? 0 : ctz(mask),
    max: mask === 0 ? 1 : mask >>> ctz(mask),
  }));
  for (let y = 0; y < height; y++) {
    const srcRow = dataOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * 3;
    for (let x = 0; x < width; x++) {
      const p = srcRow + x * bytesPerPixel;
      if (channel) {
        const v = view.getUint32(p, true);
        for (const c of channel) out[o++] = Math.round((((v & c.mask) >>> c.shift) * 255) / c.max);
      } else {
        out[o++] = bytes[p + 2]!;
        out[o++] = bytes[p + 1]!;
        out[o++] = bytes[p]!;
      }
    }
  }
  return { data: out, width, height };
}

function ctz(v: number): number {
  let n = 0;
  while (n < 32 && ((v >>> n) & 1) === 0) n++;
  return n;
}

/** Encodes RGB as a 24-bit bottom-up BMP, or a 32-bit one (BI_RGB, alpha 255) with `bits: 32`; `topDown` flips row order. */
export function encodeBmp(img: RgbImage, options: { bits?: 24 | 32; topDown?: boolean } = {}): Uint8Array {
  const bits = options.bits ?? 24;
  const bpp = bits / 8;
  const stride = Math.ceil((img.width * bpp) / 4) * 4;
  const size = 54 + stride * img.height;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  view.setUint32(2, size, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, img.width, true);
  view.setInt32(22, options.topDown ? -img.height : img.height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, bits, true);
  view.setUint32(34, stride * img.height, true);
  for (let y = 0; y < img.height; y++) {
    const row = 54 + (options.topDown ? y : img.height - 1 - y) * stride;
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * 3;
      const d = row + x * bpp;
      out[d] = img.data[s + 2]!;
      out[d + 1] = img.data[s + 1]!;
      out[d + 2] = img.data[s]!;
      if (bpp === 4) out[d + 3] = 255;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Validates and decodes an image. Header dimensions are checked against `maxPixels` before any decoding.
 * `crop` is applied in upright (EXIF-applied) coordinates; it is clamped to the image and must keep ≥ 8×8 px.
 */
export async function loadImage(
  input: ImageInput,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
  crop?: FaceBox,
): Promise<LoadedImage> {
  const bytes = inputToBytes(input, limits.maxImageBytes);
  const format = sniffFormat(bytes);
  if (!format) throw new ShirenError('invalid_image');

  let rgb: RgbImage;
  let exifOrientation = 1;
  if (format === 'bmp') {
    const header = readBmpHeader(bytes);
    checkPixels(header.width, header.height, limits.maxPixels);
    rgb = decodeBmp(bytes, header);
  } else {
    let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
    try {
      meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch (cause) {
      throw new ShirenError('invalid_image', 'The image header cannot be read.', { cause });
    }
    if (!meta.width || !meta.height) throw new ShirenError('invalid_image', 'The image header has no dimensions.');
    checkPixels(meta.width, meta.height, limits.maxPixels);
    exifOrientation = meta.orientation ?? 1;
    try {
      const { data, info } = await sharp(bytes, {
        failOn: 'error',
        limitInputPixels: limits.maxPixels,
      })
        .rotate()
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new Error(`unexpected channel count ${info.channels}`);
      rgb = {
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        width: info.width,
        height: info.height,
      };
    } catch (cause) {
      throw new ShirenError('image_corrupt', 'The image data is truncated or corrupt.', { cause });
    }
  }
  if (crop) rgb = cropRgb(rgb, crop);
  return { rgb, format, exifOrientation };
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new ShirenError(
      'image_too_many_pixels',
      `The image has ${width}×${height} pixels; the limit is ${maxPixels}.`,
      {
        details: { width, height, limit: maxPixels },
      },
    );
  }
}

/** Copies a rectangle (clamped to the image) out of an RGB image. */
export function cropRgb(img: RgbImage, box: FaceBox): RgbImage {
  const values = [box.x, box.y, box.width, box.height];
  if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new ShirenError('invalid_request', 'crop must have finite x, y, width and height.');
  }
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(img.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(img.height, Math.ceil(box.y + box.height));
  if (x1 - x0 < 8 || y1 - y0 < 8) {
    throw new ShirenError('invalid_request', 'crop lies outside the image or is smaller than 8×8 pixels.', {
      details: { crop: box, width: img.width, height: img.height },
    });
  }
  const width = x1 - x0;
  const height = y1 - y0;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const src = ((y0 + y) * img.width + x0) * 3;
    data.set(img.data.subarray(src, src + width * 3), y * width * 3);
  }
  return { data, width, height };
}

/** Rotates an RGB image clockwise by 90, 180 or 270 degrees. */
export function rotateRgb(img: RgbImage, degrees: 0 | 90 | 180 | 270): RgbImage {
  if (degrees === 0) return img;
  const { width: w, height: h, data: src } = img;
  const outW = degrees === 180 ? w : h;
  const outH = degrees === 180 ? h : w;
  const out = new Uint8Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let nx: number;
      let ny: number;
      if (degrees === 90) {
        nx = h - 1 - y;
        ny = x;
      } else if (degrees === 180) {
        nx = w - 1 - x;
        ny = h - 1 - y;
      } else {
        nx = y;
        ny = w - 1 - x;
      }
      const s = (y * w + x) * 3;
      const d = (ny * outW + nx) * 3;
      out[d] = src[s]!;
      out[d + 1] = src[s + 1]!;
      out[d + 2] = src[s + 2]!;
    }
  }
  return { data: out, width: outW, height: outH };
}
