import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyAffine } from './align.js';
import { createFaceMesh, cropTransform, meshFivePoints } from './face-mesh.js';
import { loadImage } from './image.js';
import { createFacePipeline } from './pipeline.js';
import type { Landmarks5, Point } from './types.js';

test('cropTransform centres the eye–mouth midpoint and levels a tilted eye line', () => {
  const five: Landmarks5 = [
    [100, 100],
    [140, 130],
    [115, 135],
    [95, 160],
    [125, 180],
  ];
  const m = cropTransform(five, 4, true, 192);
  const eye: Point = [120, 115];
  const mouth: Point = [110, 170];
  const c = applyAffine(m, [(eye[0] + mouth[0]) / 2, (eye[1] + mouth[1]) / 2]);
  assert.ok(Math.abs(c[0] - 96) < 1e-9 && Math.abs(c[1] - 96) < 1e-9);
  const l = applyAffine(m, five[0]);
  const r = applyAffine(m, five[1]);
  assert.ok(Math.abs(l[1] - r[1]) < 1e-9, 'eye line is horizontal in the crop');
  assert.ok(r[0] > l[0]);
  // Side = 4 × eye–mouth distance → that distance spans 192 / 4 crop pixels.
  const d = Math.hypot(
    applyAffine(m, eye)[0] - applyAffine(m, mouth)[0],
    applyAffine(m, eye)[1] - applyAffine(m, mouth)[1],
  );
  assert.ok(Math.abs(d - 48) < 1e-9);
});

test('the face mesh (tfjs wasm, files from node_modules) refines the five points of a demo face', async () => {
  const photo = readFileSync(new URL('../../node_modules/@vladmandic/face-api/demo/sample6.jpg', import.meta.url));
  const pipeline = await createFacePipeline({ landmarks: 'fr_landmark' });
  const mesh = await createFaceMesh();
  try {
    const { rgb } = await loadImage(photo);
    const { faces } = await pipeline.analyse(photo);
    const rough = faces[0]!.landmarks5;
    const { points, faceScore } = await mesh.run(rgb, rough);
    assert.equal(points.length, 468);
    assert.ok(faceScore > 0.5, `face score ${faceScore}`);
    const five = meshFivePoints(points);
    const eyeDistance = Math.hypot(rough[1][0] - rough[0][0], rough[1][1] - rough[0][1]);
    five.forEach((p, i) => {
      const shift = Math.hypot(p[0] - rough[i]![0], p[1] - rough[i]![1]);
      assert.ok(
        shift < eyeDistance * 0.25,
        `point ${i} moved ${shift.toFixed(1)} px (eyes ${eyeDistance.toFixed(1)} px apart)`,
      );
    });
    assert.ok(five[0][0] < five[1][0] && five[3][0] < five[4][0], 'image-left points first');
  } finally {
    await Promise.all([pipeline.close(), mesh.close()]);
  }
});
