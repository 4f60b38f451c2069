import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { createFacePipeline, type FacePipeline } from './pipeline.js';
import { createLivenessScorer, livenessInput, livenessWindow, softmax, type LivenessScorer } from './liveness.js';
import type { DetectedFace, RgbImage } from './types.js';

const SAMPLE = (n: number) => readFileSync(`node_modules/@vladmandic/face-api/demo/sample${n}.jpg`);

let pipeline: FacePipeline;
let scorer: LivenessScorer;
let scorerBgr: LivenessScorer;
const faces: { rgb: RgbImage; face: DetectedFace }[] = [];

before(async () => {
  [pipeline, scorer, scorerBgr] = await Promise.all([
    createFacePipeline(),
    createLivenessScorer(),
    createLivenessScorer({ channelOrder: 'bgr' }),
  ]);
  for (const n of [1, 2, 3]) {
    const { rgb, faces: found } = await pipeline.locate(SAMPLE(n));
    faces.push({ rgb, face: found[0]! });
  }
});

after(async () => {
  await Promise.all([pipeline.close(), scorer.close(), scorerBgr.close()]);
});

test('window is 2.7× the box, centred, and slid back inside the image', () => {
  const inside = livenessWindow({ x: 400, y: 300, width: 100, height: 120 }, 1000, 1000, 2.7);
  assert.deepEqual(inside, { x: 315, y: 198, width: 270, height: 324 });
  const atEdge = livenessWindow({ x: 10, y: 10, width: 100, height: 100 }, 1000, 1000, 2.7);
  assert.equal(atEdge.x, 0);
  assert.equal(atEdge.y, 0);
  assert.equal(atEdge.width, 270);
  // a box too large for 2.7× shrinks the factor to what fits
  const big = livenessWindow({ x: 100, y: 100, width: 300, height: 300 }, 500, 500, 2.7);
  assert.ok(big.width <= 500 && big.height <= 500 && big.x >= 0 && big.y >= 0);
  assert.throws(() => livenessWindow({ x: 0, y: 0, width: 0, height: 10 }, 100, 100, 2.7), /positive size/);
});

test('input is planar 0–255 in the requested channel order', () => {
  // 4×4 image, left half pure red, right half pure blue; box = whole image, scale 1
  const data = new Uint8Array(4 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) data.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
  const img = { data, width: 4, height: 4 };
  const rgb = livenessInput(img, { x: 0, y: 0, width: 4, height: 4 }, 1, 'rgb');
  const bgr = livenessInput(img, { x: 0, y: 0, width: 4, height: 4 }, 1, 'bgr');
  const plane = 128 * 128;
  assert.equal(rgb.length, 3 * plane);
  assert.equal(rgb[0], 255); // R plane, top-left is red
  assert.equal(rgb[2 * plane], 0); // B plane, top-left
  assert.equal(bgr[0], 0); // first plane is B in BGR order
  assert.equal(bgr[2 * plane], 255);
  assert.ok(Math.max(...rgb) <= 255 && Math.min(...rgb) >= 0);
});

test('softmax sums to one and keeps order', () => {
  const p = softmax([2, 1, -1]);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.ok(p[0]! > p[1]! && p[1]! > p[2]!);
});

test('scores are probabilities from the model, deterministic, and depend on the face', async () => {
  const results = [];
  for (const { rgb, face } of faces) results.push(await scorer.score(rgb, face));
  for (const r of results) {
    assert.ok(r.score >= 0 && r.score <= 1);
    assert.equal(r.models['faceplugin-fr_liveness'], r.score);
  }
  const again = await scorer.score(faces[0]!.rgb, faces[0]!.face);
  assert.equal(again.score, results[0]!.score);
  const distinct = new Set(results.map((r) => r.score.toFixed(6)));
  assert.ok(distinct.size > 1, `different photos gave identical scores ${[...distinct]}`);
  // the channel order reaches the model: swapping R and B changes the output
  const swapped = await scorerBgr.score(faces[0]!.rgb, faces[0]!.face);
  assert.notEqual(swapped.score, results[0]!.score);
});

test('threshold and info are exposed; a bad threshold is rejected', async () => {
  assert.equal(scorer.threshold, 0.5);
  assert.deepEqual(scorer.info.models, ['faceplugin-fr_liveness']);
  await assert.rejects(createLivenessScorer({ threshold: 2 }), /threshold/);
});
