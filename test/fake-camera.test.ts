/** The Y4M writer used for Chromium's fake camera: colour conversion and container layout. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { rgbToI420, STILL_FACE, writeStillY4m, writeSwayY4m, writeY4m } from './fake-camera.js';
import { tempDir } from './helpers.js';

test('rgbToI420: BT.601 studio range for white, black, red; chroma averaged per 2×2 block', () => {
  const px = (r: number, g: number, b: number) => [r, g, b];
  // 2×2: white, black / red, red
  const rgb = new Uint8Array([...px(255, 255, 255), ...px(0, 0, 0), ...px(255, 0, 0), ...px(255, 0, 0)]);
  const out = rgbToI420(rgb, 2, 2);
  assert.equal(out.length, 6);
  assert.deepEqual([...out.subarray(0, 4)], [235, 16, 81, 81]);
  // U and V of the block average (191.25, 63.75, 63.75): a reddish block, U below and V above neutral 128
  assert.equal(out[4], Math.round(128 + (-37.797 * 191.25 - 74.203 * 63.75 + 112 * 63.75) / 255));
  assert.equal(out[5], Math.round(128 + (112 * 191.25 - 93.786 * 63.75 - 18.214 * 63.75) / 255));
  assert.ok(out[4]! < 128 && out[5]! > 128);
  assert.throws(() => rgbToI420(new Uint8Array(9), 3, 1), /even/);
});

test('writeY4m / writeStillY4m: header, FRAME markers, frame sizes', async () => {
  const t = tempDir();
  try {
    const small = path.join(t.dir, 'a.y4m');
    await writeY4m(small, [{ i420: new Uint8Array(6).fill(7), repeat: 3 }], { width: 2, height: 2, fps: 10 });
    const bytes = readFileSync(small);
    const header = 'YUV4MPEG2 W2 H2 F10:1 Ip A1:1 C420jpeg\n';
    assert.equal(bytes.subarray(0, header.length).toString(), header);
    assert.equal(bytes.length, header.length + 3 * ('FRAME\n'.length + 6));
    await assert.rejects(writeY4m(small, [{ i420: new Uint8Array(5) }], { width: 2, height: 2 }), /expected 6/);

    const still = await writeStillY4m(path.join(t.dir, 'still.y4m'), STILL_FACE, { seconds: 0.2, fps: 10 });
    const s = readFileSync(still);
    const h = 'YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n';
    assert.equal(s.subarray(0, h.length).toString(), h);
    assert.equal(s.length, h.length + 2 * ('FRAME\n'.length + 640 * 480 * 1.5));
    const y = s.subarray(h.length + 6, h.length + 6 + 640 * 480);
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    assert.ok(mean > 60 && mean < 200, `a real picture, mean luma ${mean}`);
  } finally {
    t.cleanup();
  }
});

test('writeSwayY4m: frames differ from each other, and the loop closes smoothly', async () => {
  const t = tempDir();
  try {
    const file = await writeSwayY4m(
      path.join(t.dir, 'sway.y4m'),
      { ...STILL_FACE, crop: STILL_FACE.crop! },
      {
        seconds: 0.4,
        fps: 10,
      },
    );
    const s = readFileSync(file);
    const h = 'YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n'.length;
    const size = 640 * 480 * 1.5 + 6;
    assert.equal(s.length, h + 4 * size);
    const luma = (i: number) => s.subarray(h + i * size + 6, h + i * size + 6 + 640 * 480);
    const diff = (a: Uint8Array, b: Uint8Array) => a.reduce((sum, v, j) => sum + Math.abs(v - b[j]!), 0) / a.length;
    assert.ok(diff(luma(0), luma(1)) > 2, 'consecutive frames differ (the picture moves)');
    assert.ok(diff(luma(0), luma(2)) > diff(luma(0), luma(1)) * 0.5);
  } finally {
    t.cleanup();
  }
});
