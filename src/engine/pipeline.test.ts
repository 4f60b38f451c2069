import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { ShirenError } from '../errors.js';
import { createFacePipeline, type FacePipeline } from './pipeline.js';
import { cosineSimilarity } from './recogniser.js';
import { similarityTransform, applyAffine, ARCFACE_TEMPLATE_112 } from './align.js';
import type { FaceBox, Point } from './types.js';

const demo = (n: number) =>
  readFileSync(new URL(`../../node_modules/@vladmandic/face-api/demo/sample${n}.jpg`, import.meta.url));

let pipeline: FacePipeline;
/** Three faces of the group photo sample1.jpg, each cut out with margin as its own JPEG. */
let faceJpegs: Buffer[];

async function rejectsWith(p: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ShirenError, `expected ShirenError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return true;
  });
}

function withMargin(
  box: FaceBox,
  width: number,
  height: number,
): { left: number; top: number; width: number; height: number } {
  const m = Math.max(box.width, box.height);
  const left = Math.max(0, Math.round(box.x - m * 0.6));
  const top = Math.max(0, Math.round(box.y - m * 0.6));
  return {
    left,
    top,
    width: Math.min(width - left, Math.round(box.width + m * 1.2)),
    height: Math.min(height - top, Math.round(box.height + m * 1.2)),
  };
}

before(async () => {
  pipeline = await createFacePipeline();
  const photo = demo(1);
  const { faces, image } = await pipeline.analyse(photo);
  faceJpegs = await Promise.all(
    faces.map((f) =>
      sharp(photo)
        .extract(withMargin(f.box, image.width, image.height))
        .jpeg({ quality: 92 })
        .toBuffer(),
    ),
  );
});

after(async () => {
  await pipeline.close();
});

test('Umeyama similarity recovers a known rotation + scale + translation exactly', () => {
  const angle = 0.3;
  const s = 1.7;
  const src = ARCFACE_TEMPLATE_112;
  const dst = src.map(
    ([x, y]) =>
      [
        s * (Math.cos(angle) * x - Math.sin(angle) * y) + 5,
        s * (Math.sin(angle) * x + Math.cos(angle) * y) - 9,
      ] as Point,
  );
  const m = similarityTransform(src, dst);
  for (let i = 0; i < 5; i++) {
    const p = applyAffine(m, src[i]!);
    assert.ok(Math.abs(p[0] - dst[i]![0]) < 1e-9 && Math.abs(p[1] - dst[i]![1]) < 1e-9);
  }
});

test('a group photo (1920 px) yields several faces, largest first, with plausible landmarks', async () => {
  const r = await pipeline.analyse(demo(1));
  assert.ok(r.faceCount >= 3, `faces: ${r.faceCount}`);
  assert.equal(r.image.rotation, 0);
  assert.equal(r.image.width, 1920);
  const areas = r.faces.map((f) => f.box.width * f.box.height);
  assert.deepEqual(
    areas,
    [...areas].sort((a, b) => b - a),
  );
  for (const f of r.faces) {
    const [le, re, nose, lm, rm] = f.landmarks5;
    // In the face's own frame (x along the eye line, y perpendicular, pointing down): eyes, then nose, then mouth.
    const ux = re[0] - le[0];
    const uy = re[1] - le[1];
    const eyeDist = Math.hypot(ux, uy);
    assert.ok(eyeDist > f.box.width * 0.2, 'eyes apart');
    const down = (p: Point) => ((p[0] - le[0]) * -uy + (p[1] - le[1]) * ux) / eyeDist;
    assert.ok(down(nose) > 0.2 * eyeDist, 'nose below the eye line');
    assert.ok(down(lm) > down(nose) && down(rm) > down(nose), 'mouth below the nose');
    for (const [x, y] of f.landmarks5) {
      assert.ok(x >= f.box.x - f.box.width * 0.2 && x <= f.box.x + f.box.width * 1.2, 'landmark x inside the box');
      assert.ok(y >= f.box.y - f.box.height * 0.2 && y <= f.box.y + f.box.height * 1.2, 'landmark y inside the box');
    }
  }
  assert.equal(r.embedding.length, 512);
  const norm = Math.sqrt(r.embedding.reduce((s, v) => s + v * v, 0));
  assert.ok(Math.abs(norm - 1) < 1e-4);
});

test('the same face re-encoded and resized matches itself; different people score low', async () => {
  const [a, b, c] = faceJpegs;
  const ea = (await pipeline.analyse(a!)).embedding;
  const eaSmall = (await pipeline.analyse(await sharp(a!).resize({ width: 200 }).webp().toBuffer())).embedding;
  const eb = (await pipeline.analyse(b!)).embedding;
  const ec = (await pipeline.analyse(c!)).embedding;
  const same = cosineSimilarity(ea, eaSmall);
  assert.ok(same > 0.8, `same face similarity ${same}`);
  for (const [x, y] of [
    [ea, eb],
    [ea, ec],
    [eb, ec],
  ] as const) {
    const diff = cosineSimilarity(x, y);
    assert.ok(diff < 0.3, `different people similarity ${diff}`);
  }
});

test('a face rotated by 90, 180 and 270 degrees is found, the rotation reported, and it matches itself', async () => {
  // Use the group photo's most upright face (a head tilted by 45° has no well-defined 90° orientation).
  const { faces } = await pipeline.analyse(demo(1));
  const roll = (i: number) => {
    const [le, re] = faces[i]!.landmarks5;
    return Math.abs(Math.atan2(re[1] - le[1], re[0] - le[0]));
  };
  const uprightIndex = [0, 1, 2].sort((a, b) => roll(a) - roll(b))[0]!;
  const face = faceJpegs[uprightIndex]!;
  const upright = await pipeline.analyse(face);
  assert.equal(upright.image.rotation, 0);
  for (const deg of [90, 180, 270] as const) {
    const turned = await sharp(face).rotate(deg).jpeg({ quality: 92 }).toBuffer();
    const r = await pipeline.analyse(turned);
    // The input was turned `deg` clockwise; turning it (360 − deg) further makes it upright.
    assert.equal(r.image.rotation, (360 - deg) % 360, `rotation for input turned ${deg}°`);
    const sim = cosineSimilarity(upright.embedding, r.embedding);
    assert.ok(sim > 0.8, `similarity after ${deg}° rotation: ${sim}`);
  }
});

test('requireSingleFace on a group photo is multiple_faces; without it the largest face is used', async () => {
  await rejectsWith(pipeline.analyse(demo(1), { requireSingleFace: true }), 'multiple_faces');
  const single = await pipeline.analyse(faceJpegs[0]!, { requireSingleFace: true });
  assert.equal(single.faceCount, 1);
});

test('crop restricts the analysis to a rectangle', async () => {
  const all = await pipeline.analyse(demo(1));
  const target = all.faces[1]!.box;
  const crop = withMargin(target, all.image.width, all.image.height);
  const r = await pipeline.analyse(demo(1), {
    crop: { x: crop.left, y: crop.top, width: crop.width, height: crop.height },
    requireSingleFace: true,
  });
  assert.equal(r.image.width, crop.width);
  assert.ok(Math.abs(r.faces[0]!.box.x + crop.left - target.x) < 10, 'same face, coordinates relative to the crop');
});

test('a blank image is face_not_found', async () => {
  const blank = await sharp({
    create: { width: 640, height: 480, channels: 3, background: { r: 128, g: 128, b: 128 } },
  })
    .png()
    .toBuffer();
  await rejectsWith(pipeline.analyse(blank), 'face_not_found');
});

test('a tiny face is face_too_small; the minimum is configurable', async () => {
  const tiny = await sharp(faceJpegs[0]!).resize({ width: 80 }).png().toBuffer();
  await rejectsWith(pipeline.analyse(tiny), 'face_too_small');
  const lenient = await createFacePipeline({ minFaceSize: 10 });
  try {
    const r = await lenient.analyse(tiny);
    assert.ok(r.faces[0]!.box.width < 40);
  } finally {
    await lenient.close();
  }
});

test('a BMP of a face gives the same embedding as the PNG of the same pixels', async () => {
  const { data, info } = await sharp(faceJpegs[1]!).raw().toBuffer({ resolveWithObject: true });
  const { encodeBmp } = await import('./image.js');
  const bmp = encodeBmp({ data: new Uint8Array(data), width: info.width, height: info.height });
  const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .png()
    .toBuffer();
  const a = await pipeline.analyse(bmp);
  const b = await pipeline.analyse(png);
  assert.ok(cosineSimilarity(a.embedding, b.embedding) > 0.9999);
});

test('analyse reports the landmark source and per-stage timings', async () => {
  assert.match(pipeline.info.landmarks, /facemesh/);
  const r = await pipeline.analyse(faceJpegs[0]!);
  for (const k of ['decode', 'detect', 'landmarks', 'align', 'embed', 'orientation', 'total'] as const) {
    assert.ok(Number.isFinite(r.timings[k]) && r.timings[k] >= 0, k);
  }
  assert.ok(r.timings.total >= r.timings.detect + r.timings.embed);
});
