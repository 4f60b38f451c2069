import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameFeatures } from '../engine/types.js';
import { livenessChallenges } from './liveness-challenges.js';

const embedding = new Float32Array([1, 0, 0, 0]);
const still = (t: number) => ({
  t,
  step: 'neutral',
  features: {
    width: 640,
    height: 480,
    faceCount: 1,
    face: {
      box: { x: 200, y: 120, width: 220, height: 220 },
      score: 0.99,
      landmarks5: [
        [260, 200],
        [360, 200],
        [310, 250],
        [270, 300],
        [350, 300],
      ],
    },
    yaw: 0,
    pitch: 0,
    roll: 0,
    leftEye: 0.3,
    rightEye: 0.3,
    mouth: 0.02,
    faceColour: [150, 120, 110],
    backgroundColour: [60, 60, 60],
    embedding,
  } as FrameFeatures,
});

test('the port creates challenges on the given clock and verifies with src/verify/liveness', () => {
  const now = new Date('2026-03-01T08:00:00Z');
  const spec = livenessChallenges.create({ mode: 'action', actionCount: 2, actionPool: ['blink', 'nod'] }, now);
  assert.equal(spec.mode, 'action');
  assert.deepEqual([...spec.actions].sort(), ['blink', 'nod']);
  assert.equal(spec.issuedAt, now.toISOString());
  assert.match(String(spec.id), /^[A-Za-z0-9_-]{43}$/);
  assert.ok(spec.expiresAt && new Date(spec.expiresAt) > now);

  // A face that never moves does not perform the actions.
  const frames = Array.from({ length: 8 }, (_, i) => still(i * 1000));
  const receivedAt = new Date(now.getTime() + 9000);
  const v = livenessChallenges.verify(spec, frames, { receivedAt });
  assert.equal(v.passed, false);
  assert.match(String(v.code), /^liveness_/);
  assert.ok(v.bestFrameIndex >= 0 && v.bestFrameIndex < frames.length);

  // Liveness "none": one face throughout is enough.
  const none = livenessChallenges.create({ mode: 'none', actionCount: 1, actionPool: ['blink'] }, now);
  const ok = livenessChallenges.verify(none, frames.slice(0, 4), { receivedAt: new Date(now.getTime() + 5000) });
  assert.equal(ok.passed, true, ok.message);
});
