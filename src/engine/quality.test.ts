import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { createFacePipeline, type FacePipeline } from './pipeline.js';
import { createQualityAssessor, rollFromLandmarks, type QualityAssessor } from './quality.js';
import type { DetectedFace, FaceQuality, RgbImage } from './types.js';

const SAMPLE = (n: number) => readFileSync(`node_modules/@vladmandic/face-api/demo/sample${n}.jpg`);

let pipeline: FacePipeline;
let qa: QualityAssessor;

before(async () => {
  [pipeline, qa] = await Promise.all([createFacePipeline({ tryRotations: false }), createQualityAssessor()]);
});
after(async () => {
  await Promise.all([pipeline.close(), qa.close()]);
});

async function analyse(bytes: Uint8Array): Promise<{ rgb: RgbImage; face: DetectedFace; q: FaceQuality }> {
  const { rgb, faces } = await pipeline.locate(bytes);
  const face = faces[0]!;
  return { rgb, face, q: await qa.assess(rgb, face) };
}

const jpeg = (s: ReturnType<typeof sharp>) => s.jpeg({ quality: 95 }).toBuffer();

test('every field is in its documented range', async () => {
  const { q } = await analyse(SAMPLE(6));
  assert.ok(q.comprehensive_score >= 0 && q.comprehensive_score <= 100);
  for (const k of [
    'face_clarity',
    'brightness',
    'exposure',
    'mouth_occlusion',
    'left_eye_occlusion',
    'right_eye_occlusion',
    'have_cap',
  ] as const) {
    assert.ok(q[k] >= 0 && q[k] <= 1, `${k}=${q[k]}`);
  }
  for (const k of ['pose_pitch', 'pose_yaw', 'pose_roll'] as const) assert.ok(Math.abs(q[k]) <= 180, `${k}=${q[k]}`);
});

test('blurring the photo lowers face clarity', async () => {
  const sharpQ = (await analyse(SAMPLE(6))).q;
  const blurQ = (await analyse(await jpeg(sharp(SAMPLE(6)).blur(4)))).q;
  assert.ok(sharpQ.face_clarity > 0.6, `sharp clarity ${sharpQ.face_clarity}`);
  assert.ok(blurQ.face_clarity < sharpQ.face_clarity - 0.3, `${blurQ.face_clarity} vs ${sharpQ.face_clarity}`);
  assert.ok(blurQ.comprehensive_score < sharpQ.comprehensive_score);
});

test('darkening the photo lowers brightness roughly in proportion', async () => {
  const base = (await analyse(SAMPLE(6))).q;
  const dark = (await analyse(await jpeg(sharp(SAMPLE(6)).linear(0.4, 0)))).q;
  assert.ok(Math.abs(dark.brightness - 0.4 * base.brightness) < 0.06, `${dark.brightness} vs 0.4 × ${base.brightness}`);
});

test('a rectangle over the mouth raises mouth occlusion, not eye occlusion', async () => {
  const { face, q } = await analyse(SAMPLE(6));
  const [, , , ml, mr] = face.landmarks5;
  const iod = Math.hypot(face.landmarks5[1][0] - face.landmarks5[0][0], face.landmarks5[1][1] - face.landmarks5[0][1]);
  const left = Math.round(ml[0] - 0.4 * iod);
  const top = Math.round((ml[1] + mr[1]) / 2 - 0.4 * iod);
  const width = Math.round(mr[0] - ml[0] + 0.8 * iod);
  const height = Math.round(0.8 * iod);
  const patch = await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 180, b: 170 } } })
    .png()
    .toBuffer();
  const covered = await jpeg(sharp(SAMPLE(6)).composite([{ input: patch, left, top }]));
  const { rgb } = await pipeline.locate(covered);
  const qc = await qa.assess(rgb, face); // same geometry as the clean photo
  assert.ok(q.mouth_occlusion < 0.3, `clean mouth occlusion ${q.mouth_occlusion}`);
  assert.ok(qc.mouth_occlusion > 0.7, `covered mouth occlusion ${qc.mouth_occlusion}`);
  assert.ok(qc.left_eye_occlusion < 0.5 && qc.right_eye_occlusion < 0.5);
});

test('rotating the photo by ±20° moves roll by about ±20°', async () => {
  const base = (await analyse(SAMPLE(6))).q.pose_roll;
  const cw = (await analyse(await jpeg(sharp(SAMPLE(6)).rotate(20, { background: '#808080' })))).q.pose_roll;
  const ccw = (await analyse(await jpeg(sharp(SAMPLE(6)).rotate(-20, { background: '#808080' })))).q.pose_roll;
  assert.ok(Math.abs(cw - base - 20) < 5, `roll ${base} → ${cw}`);
  assert.ok(Math.abs(ccw - base + 20) < 5, `roll ${base} → ${ccw}`);
  assert.equal(
    rollFromLandmarks([
      [0, 0],
      [10, 10],
      [5, 5],
      [0, 10],
      [10, 20],
    ]),
    45,
  );
});

test('mirroring the photo flips the sign of yaw (fr_pose)', async () => {
  const q = (await analyse(SAMPLE(3))).q;
  const m = (await analyse(await jpeg(sharp(SAMPLE(3)).flop()))).q;
  assert.ok(Math.abs(q.pose_yaw) > 5 && Math.abs(m.pose_yaw) > 5, `${q.pose_yaw} / ${m.pose_yaw}`);
  assert.ok(Math.sign(q.pose_yaw) !== Math.sign(m.pose_yaw), `${q.pose_yaw} / ${m.pose_yaw}`);
});
