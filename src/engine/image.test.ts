import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { ShirenError } from '../errors.js';
import { decodeBmp, encodeBmp, inputToBytes, loadImage, rotateRgb, sniffFormat, cropRgb } from './image.js';
import type { RgbImage } from './types.js';

const SAMPLE = new URL('../../node_modules/@vladmandic/face-api/demo/sample1.jpg', import.meta.url);
const sample = readFileSync(SAMPLE);

async function rejectsWith(p: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ShirenError, `expected ShirenError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    return true;
  });
}

/** A small image with distinct, position-dependent pixels. */
function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 37) & 255;
      data[o + 1] = (y * 53) & 255;
      data[o + 2] = (x * y + 11) & 255;
    }
  }
  return { data, width, height };
}

function pngChunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

test('BMP 24-bit bottom-up, 24-bit top-down and 32-bit round-trip exactly (odd width exercises row padding)', async () => {
  const img = gradient(13, 7);
  for (const opts of [{ bits: 24 as const }, { bits: 24 as const, topDown: true }, { bits: 32 as const }]) {
    const bmp = encodeBmp(img, opts);
    assert.equal(sniffFormat(bmp), 'bmp');
    const back = decodeBmp(bmp);
    assert.equal(back.width, 13);
    assert.equal(back.height, 7);
    assert.deepEqual(back.data, img.data, JSON.stringify(opts));
    const loaded = await loadImage(bmp);
    assert.equal(loaded.format, 'bmp');
    assert.deepEqual(loaded.rgb.data, img.data);
  }
});

test('a BMP whose pixel data is cut short is image_corrupt', async () => {
  const bmp = encodeBmp(gradient(40, 40));
  await rejectsWith(loadImage(bmp.subarray(0, bmp.length - 200)), 'image_corrupt');
});

test('base64 and data URL inputs decode to the same pixels as raw bytes', async () => {
  const png = await sharp(Buffer.from(gradient(20, 10).data), { raw: { width: 20, height: 10, channels: 3 } })
    .png()
    .toBuffer();
  const raw = await loadImage(new Uint8Array(png));
  const b64 = await loadImage(png.toString('base64'));
  const url = await loadImage(`data:image/png;base64,${png.toString('base64')}`);
  assert.deepEqual(b64.rgb.data, raw.rgb.data);
  assert.deepEqual(url.rgb.data, raw.rgb.data);
  assert.deepEqual(raw.rgb.data, gradient(20, 10).data);
});

test('WebP input is accepted', async () => {
  const webp = await sharp(sample).resize(200).webp().toBuffer();
  const img = await loadImage(webp);
  assert.equal(img.format, 'webp');
  assert.equal(img.rgb.width, 200);
});

test('bytes that are not an image, an unsupported format and bad base64 are invalid_image', async () => {
  await rejectsWith(loadImage(new TextEncoder().encode('hello, this is not an image at all')), 'invalid_image');
  const gif = await sharp(sample).resize(50).gif().toBuffer();
  await rejectsWith(loadImage(gif), 'invalid_image');
  await rejectsWith(loadImage('this is *not* base64!'), 'invalid_image');
  await rejectsWith(loadImage(''), 'invalid_image');
});

test('a truncated JPEG is image_corrupt', async () => {
  await rejectsWith(loadImage(sample.subarray(0, Math.floor(sample.length / 2))), 'image_corrupt');
});

test('input over the byte limit is image_too_large, as bytes and as base64, without decoding', async () => {
  const limits = { maxImageBytes: 100_000, maxPixels: 40_000_000 };
  await rejectsWith(loadImage(sample, limits), 'image_too_large');
  await rejectsWith(loadImage(sample.toString('base64'), limits), 'image_too_large');
  // Default limit is 5 MiB.
  await rejectsWith(loadImage(new Uint8Array(5 * 1024 * 1024 + 1)), 'image_too_large');
});

test('a PNG header claiming 100000×100000 pixels fails fast with image_too_many_pixels', async () => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100_000, 0);
  ihdr.writeUInt32BE(100_000, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
  const t0 = performance.now();
  await rejectsWith(loadImage(png), 'image_too_many_pixels');
  assert.ok(performance.now() - t0 < 500, 'the pixel limit must be checked on the header, before decoding');
  // The limit is configurable: the 1920×1280 sample is over a 2 MP limit.
  await rejectsWith(loadImage(sample, { maxImageBytes: 5e6, maxPixels: 2_000_000 }), 'image_too_many_pixels');
});

test('a BMP header over the pixel limit is image_too_many_pixels', async () => {
  const bmp = encodeBmp(gradient(4, 4));
  new DataView(bmp.buffer).setInt32(18, 50_000, true);
  new DataView(bmp.buffer).setInt32(22, 50_000, true);
  await rejectsWith(loadImage(bmp), 'image_too_many_pixels');
});

test('EXIF orientation is applied: orientation 6 pixels come out upright', async () => {
  const upright = await sharp(sample).resize(240, 160).raw().toBuffer({ resolveWithObject: true });
  // Store the pixels turned 90° counter-clockwise and tag "rotate 90° clockwise to display".
  // (sharp applies rotate before resize within one pipeline, hence two pipelines.)
  const small = await sharp(sample).resize(240, 160).png().toBuffer();
  const stored = await sharp(small).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
  const meta = await sharp(stored).metadata();
  assert.equal(meta.width, 160);
  assert.equal(meta.orientation, 6);
  const loaded = await loadImage(stored);
  assert.equal(loaded.exifOrientation, 6);
  assert.equal(loaded.rgb.width, 240);
  assert.equal(loaded.rgb.height, 160);
  // Mean absolute difference to the upright pixels is small (JPEG loss only).
  let diff = 0;
  for (let i = 0; i < upright.data.length; i++) diff += Math.abs(upright.data[i]! - loaded.rgb.data[i]!);
  assert.ok(diff / upright.data.length < 12, `mean abs diff ${diff / upright.data.length}`);
});

test('crop selects a rectangle; a crop outside the image is invalid_request', async () => {
  const img = gradient(30, 20);
  const c = cropRgb(img, { x: 5, y: 4, width: 10, height: 8 });
  assert.equal(c.width, 10);
  assert.deepEqual([...c.data.subarray(0, 3)], [...img.data.subarray((4 * 30 + 5) * 3, (4 * 30 + 5) * 3 + 3)]);
  assert.throws(() => cropRgb(img, { x: 100, y: 100, width: 10, height: 10 }), /crop/);
});

test('rotateRgb by 90 four times is the identity, and 90 maps the top-left pixel to the top-right', () => {
  const img = gradient(5, 3);
  const r = rotateRgb(img, 90);
  assert.equal(r.width, 3);
  assert.equal(r.height, 5);
  assert.deepEqual([...r.data.subarray((0 * 3 + 2) * 3, (0 * 3 + 2) * 3 + 3)], [...img.data.subarray(0, 3)]);
  assert.deepEqual(rotateRgb(rotateRgb(rotateRgb(r, 90), 90), 90).data, img.data);
  assert.deepEqual(rotateRgb(rotateRgb(img, 180), 180).data, img.data);
});

test('inputToBytes accepts base64url and whitespace', () => {
  const bytes = new Uint8Array([251, 255, 191, 0, 1]);
  assert.deepEqual(inputToBytes(Buffer.from(bytes).toString('base64url'), 100), new Uint8Array(bytes));
  assert.deepEqual(
    inputToBytes(
      Buffer.from(bytes)
        .toString('base64')
        .replace(/(.{2})/g, '$1\n'),
      100,
    ),
    bytes,
  );
});
