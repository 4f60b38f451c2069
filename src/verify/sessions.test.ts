import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameFeatures } from '../engine/types.js';
import { ShirenError } from '../errors.js';
import { decodeBase64Image, effectiveStatus, pickBestFrame } from './sessions.js';

const frame = (faceCount: number, size = 100, score = 0.9): FrameFeatures => ({
  width: 640,
  height: 480,
  faceCount,
  ...(faceCount > 0
    ? { face: { box: { x: 0, y: 0, width: size, height: size }, score, landmarks5: [] as never } }
    : {}),
  yaw: 0,
  pitch: 0,
  roll: 0,
  leftEye: 0.3,
  rightEye: 0.3,
  mouth: 0,
  faceColour: [0, 0, 0],
  backgroundColour: [0, 0, 0],
});

test('expired is computed on read for unfinished sessions only', () => {
  const expires_at = new Date('2026-01-01T02:00:00Z');
  const before = new Date('2026-01-01T01:59:59Z');
  assert.equal(effectiveStatus({ status: 'created', expires_at }, before), 'created');
  assert.equal(effectiveStatus({ status: 'in_progress', expires_at }, expires_at), 'expired');
  assert.equal(effectiveStatus({ status: 'passed', expires_at }, new Date('2027-01-01')), 'passed');
});

test('without a verifier the best frame is the largest single face', () => {
  assert.deepEqual(pickBestFrame([frame(0), frame(1, 100), frame(1, 150), frame(2, 300)]), {
    passed: true,
    message: 'a frame with one face was found',
    bestFrameIndex: 2,
  });
  assert.equal(pickBestFrame([frame(0), frame(0)]).code, 'face_not_found');
  assert.equal(pickBestFrame([frame(0), frame(2)]).code, 'multiple_faces');
});

test('images arrive as base64 or data URLs, within the byte limit', () => {
  const bytes = Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]);
  assert.deepEqual(decodeBase64Image('f', bytes.toString('base64'), 100), bytes);
  assert.deepEqual(decodeBase64Image('f', `data:image/jpeg;base64,${bytes.toString('base64')}`, 100), bytes);
  assert.deepEqual(decodeBase64Image('f', bytes.toString('base64url'), 100), bytes);
  assert.throws(
    () => decodeBase64Image('f', 'not base64!', 100),
    (e: ShirenError) => e.reason === 'invalid_request',
  );
  assert.throws(
    () => decodeBase64Image('f', Buffer.alloc(200).toString('base64'), 100),
    (e: ShirenError) => e.reason === 'image_too_large',
  );
});
