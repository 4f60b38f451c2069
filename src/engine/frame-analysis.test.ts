import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { ShirenError } from '../errors.js';
import { createFrameAnalyser, type FrameAnalyser, type FrameMeasurement } from './frame-analysis.js';
import { closeEyes, mirrorFrame, openMouth, rotateFrame, selfieFrame, turnHead } from './frame-synth.js';
import { createFacePipeline, type FacePipeline } from './pipeline.js';
import { createQualityAssessor, type QualityAssessor } from './quality.js';
import type { RgbImage } from './types.js';

const demo = (n: number) =>
  readFileSync(new URL(`../../node_modules/@vladmandic/face-api/demo/sample${n}.jpg`, import.meta.url));

let pipeline: FacePipeline;
let quality: QualityAssessor;
let analyser: FrameAnalyser;
let landmarksOnly: FrameAnalyser;
/** sample6 face 1 (frontal, eyes open, alone in its frame) and sample5 face 2 (turned ≈ 37° to her own left). */
let frame: RgbImage;
let base: FrameMeasurement;
let turned: RgbImage;

before(async () => {
  [pipeline, quality] = await Promise.all([createFacePipeline({ tryRotations: false }), createQualityAssessor()]);
  analyser = createFrameAnalyser({ pipeline, quality });
  landmarksOnly = createFrameAnalyser({ pipeline });
  const p6 = await pipeline.locate(demo(6));
  frame = await selfieFrame(p6.rgb, p6.faces[1]!);
  base = await analyser.analyse(frame);
  const p5 = await pipeline.locate(demo(5));
  turned = await selfieFrame(p5.rgb, p5.faces[2]!);
});
after(async () => {
  await Promise.all([pipeline.close(), quality.close()]);
});

const ear = (f: FrameMeasurement) => (f.leftEye + f.rightEye) / 2;

test('a frontal face: plausible features, an embedding, skin colour', () => {
  assert.equal(base.faceCount, 1);
  assert.equal(base.poseSource, 'fr_pose');
  assert.equal(base.width, 480);
  assert.ok(
    base.leftEye > 0.2 && base.leftEye < 0.5 && base.rightEye > 0.2 && base.rightEye < 0.5,
    `${base.leftEye} ${base.rightEye}`,
  );
  assert.ok(base.mouth < 0.15, `mouth ${base.mouth}`);
  assert.ok(Math.abs(base.yaw) < 25 && Math.abs(base.roll) < 15);
  assert.equal(base.embedding!.length, 512);
  assert.ok(Math.abs(Math.hypot(...base.embedding!) - 1) < 1e-3);
  const [r, , b] = base.faceColour;
  assert.ok(r > b + 10, `skin is redder than blue: ${base.faceColour}`);
  assert.ok(base.quality && base.quality.left_eye_occlusion < 0.5 && base.quality.right_eye_occlusion < 0.5);
});

test('bytes and raw RGB give the same measurement', async () => {
  const png = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .png()
    .toBuffer();
  const fromBytes = await analyser.analyse(new Uint8Array(png));
  assert.ok(Math.abs(fromBytes.yaw - base.yaw) < 1e-6 && Math.abs(fromBytes.mouth - base.mouth) < 1e-6);
});

test('yaw sign: positive when the person turns to their own left; mirroring flips it', async () => {
  // sample5 face 2 shows her right cheek: her nose points to the image's right, i.e. to her own left.
  const t = await analyser.analyse(turned);
  const m = await analyser.analyse(mirrorFrame(turned));
  assert.ok(t.yaw > 20, `yaw ${t.yaw}`);
  assert.ok(m.yaw < -20, `mirrored yaw ${m.yaw}`);
  // The landmark fallback agrees on the sign.
  const lt = await landmarksOnly.analyse(turned);
  assert.equal(lt.poseSource, 'landmarks');
  assert.ok(lt.yaw > 20, `landmark yaw ${lt.yaw}`);
  // Turning the head of the frontal face (cylinder warp) moves yaw by more than the 12° turn threshold.
  const cx = base.face!.box.x + base.face!.box.width / 2;
  const left = await analyser.analyse(turnHead(frame, cx, base.face!.box.width * 0.6, 35));
  const right = await analyser.analyse(turnHead(frame, cx, base.face!.box.width * 0.6, -35));
  assert.ok(left.yaw - base.yaw > 12, `left ${left.yaw} vs ${base.yaw}`);
  assert.ok(right.yaw - base.yaw < -12, `right ${right.yaw} vs ${base.yaw}`);
});

test('rotating the frame by 15° moves roll by about 15°', async () => {
  const r = await analyser.analyse(await rotateFrame(frame, 15));
  assert.ok(Math.abs(r.roll - base.roll - 15) < 5, `${r.roll} vs ${base.roll}`);
});

test('closing the eyes lowers the eye aspect ratio and fr_eye reads them as not open', async () => {
  const closed = await analyser.analyse(closeEyes(frame, base.face!.landmarks68!, 0.2));
  assert.ok(ear(closed) < 0.78 * ear(base), `EAR ${ear(closed)} vs ${ear(base)}`);
  assert.ok(Math.min(closed.quality!.left_eye_occlusion, closed.quality!.right_eye_occlusion) > 0.9);
});

test('opening the mouth raises the mouth opening', async () => {
  const open = await analyser.analyse(openMouth(frame, base.face!.landmarks68!, 0.5));
  assert.ok(open.mouth - base.mouth > 0.15, `${open.mouth} vs ${base.mouth}`);
});

test('a frame without a face is not an error; a corrupt one is', async () => {
  const grey = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 90, g: 90, b: 90 } } })
    .jpeg()
    .toBuffer();
  const empty = await analyser.analyse(new Uint8Array(grey));
  assert.equal(empty.faceCount, 0);
  assert.equal(empty.face, undefined);
  assert.equal(empty.embedding, undefined);
  assert.equal(empty.width, 320);
  assert.equal(empty.height, 240);
  const png = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .jpeg()
    .toBuffer();
  await assert.rejects(
    analyser.analyse(new Uint8Array(png.subarray(0, png.length >> 1))),
    (e: unknown) => e instanceof ShirenError && e.reason === 'image_corrupt',
  );
  await assert.rejects(
    analyser.analyse(new Uint8Array([1, 2, 3, 4])),
    (e: unknown) => e instanceof ShirenError && e.reason === 'invalid_image',
  );
  await assert.rejects(
    analyser.analyse({ data: new Uint8Array(10), width: 4, height: 4 }),
    (e: unknown) => e instanceof ShirenError && e.reason === 'invalid_image',
  );
});
