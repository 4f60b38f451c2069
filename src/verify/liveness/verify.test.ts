import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ShirenError } from '../../errors.js';
import { createFrameAnalyser, type FrameAnalyser } from '../../engine/frame-analysis.js';
import { createFacePipeline, type FacePipeline } from '../../engine/pipeline.js';
import { createQualityAssessor, type QualityAssessor } from '../../engine/quality.js';
import { createChallenge, type Action, type ChallengeRng, type ChallengeSpec } from './challenge.js';
import { actionSequence, flashSequence, personFrames, type PersonFrames } from './synthetic-sequences.js';
import { verifyChallenge, type LivenessFrame } from './verify.js';

let pipeline: FacePipeline;
let quality: QualityAssessor;
let analyser: FrameAnalyser;
/** sample6 face 1 and sample3 face 1: single frontal faces with open eyes in their selfie frames (different people). */
let alice: PersonFrames;
let bob: PersonFrames;

before(async () => {
  [pipeline, quality] = await Promise.all([createFacePipeline({ tryRotations: false }), createQualityAssessor()]);
  analyser = createFrameAnalyser({ pipeline, quality });
  alice = await personFrames(pipeline, analyser, 6, 1);
  bob = await personFrames(pipeline, analyser, 3, 1);
});
after(async () => {
  await Promise.all([pipeline.close(), quality.close()]);
});

const ISSUED = new Date('2026-01-01T00:00:00Z');
/** A generous upload time: 30 s after issue (within the upload allowance). */
const RECEIVED = new Date(ISSUED.getTime() + 30_000);

/** A challenge with the given actions (the random draw is replaced to fix the order under test). */
function actionSpec(actions: Action[]): ChallengeSpec {
  const spec = createChallenge({ mode: 'action', actionCount: actions.length, actionPool: actions }, undefined, ISSUED);
  return { ...spec, actions };
}

function verify(spec: ChallengeSpec, frames: LivenessFrame[], receivedAt = RECEIVED) {
  return verifyChallenge(spec, frames, { receivedAt });
}

test('each single action performed by a real (deformed) face passes', () => {
  for (const action of ['blink', 'mouth', 'turn_left', 'turn_right', 'nod'] as const) {
    const spec = actionSpec([action]);
    const r = verify(spec, actionSequence(spec, alice));
    assert.equal(r.passed, true, `${action}: ${r.code} ${r.message} ${JSON.stringify(r.details.events)}`);
  }
});

test('a four-action challenge done in order passes, for two different people', () => {
  const spec = actionSpec(['mouth', 'turn_right', 'blink', 'turn_left']);
  for (const person of [alice, bob]) {
    const frames = actionSequence(spec, person);
    const r = verify(spec, frames);
    assert.equal(r.passed, true, `${r.code} ${r.message} ${JSON.stringify(r.details.events)}`);
    // The best frame is a neutral (frontal, eyes open) one.
    assert.ok(person.neutral.includes(frames[r.bestFrameIndex]!.features as never), `best ${r.bestFrameIndex}`);
  }
});

test('actions done in the wrong order fail with liveness_action_order', () => {
  const spec = actionSpec(['turn_left', 'blink']);
  const r = verify(spec, actionSequence(spec, alice, ['blink', 'turn_left']));
  assert.equal(r.passed, false);
  assert.equal(r.code, 'liveness_action_order', r.message);
});

test('actions done too late fail with liveness_timeout', () => {
  const spec = actionSpec(['turn_left', 'mouth']);
  // In time with a small delay…
  assert.equal(verify(spec, actionSequence(spec, alice, spec.actions, 1000)).passed, true);
  // …but a reaction more than half a step after the prompt window is too late.
  const r = verify(spec, actionSequence(spec, alice, spec.actions, 3500));
  assert.equal(r.code, 'liveness_timeout', r.message);
});

test('a missing action fails with liveness_action_missing', () => {
  const spec = actionSpec(['turn_right', 'mouth']);
  const r = verify(spec, actionSequence(spec, alice, ['turn_right', 'turn_left']));
  assert.equal(r.code, 'liveness_action_missing', r.message);
});

test('one still face fails an action challenge, whatever the client labels say', () => {
  const spec = actionSpec(['blink', 'turn_left']);
  const honest = actionSequence(spec, alice);
  // The same labels and times, but every frame is the same photo (exactly, or with sensor noise).
  for (const still of [alice.neutral.slice(0, 1), alice.neutral]) {
    const frames = honest.map((f, i) => ({ ...f, features: still[i % still.length]! }));
    const r = verify(spec, frames);
    assert.equal(r.passed, false);
    assert.equal(r.code, 'liveness_action_missing', r.message);
  }
});

test('client step labels do not decide: wrong labels on real actions still pass', () => {
  const spec = actionSpec(['mouth', 'blink']);
  const frames = actionSequence(spec, alice).map((f) => ({ ...f, step: 'turn_right' }));
  assert.equal(verify(spec, frames).passed, true);
});

test('frames from two different people fail with face_changed', () => {
  const spec = actionSpec(['turn_left', 'blink']);
  const a = actionSequence(spec, alice);
  const b = actionSequence(spec, bob);
  const mixed = a.map((f, i) => (i < a.length / 2 ? f : b[i]!));
  const r = verify(spec, mixed);
  assert.equal(r.code, 'face_changed', r.message);
  assert.ok(r.details.minSameFace! < 0.5);
});

test('timing is checked against the challenge and the server clock', () => {
  const spec = actionSpec(['mouth']);
  const frames = actionSequence(spec, alice);
  // Beyond maxDurationMs.
  const late = frames.map((f, i) => (i === frames.length - 1 ? { ...f, t: spec.maxDurationMs + 1 } : f));
  assert.equal(verify(spec, late).code, 'liveness_timeout');
  // More client time than passed on the server (uploaded 2 s after issue, frames span 4.9 s).
  assert.equal(verify(spec, frames, new Date(ISSUED.getTime() + 2000)).code, 'liveness_timeout');
  // After expiry, or before issue.
  assert.equal(verify(spec, frames, new Date(Date.parse(spec.expiresAt) + 1)).code, 'challenge_invalid');
  assert.equal(verify(spec, frames, new Date(ISSUED.getTime() - 1)).code, 'challenge_invalid');
  // Frames sent out of order are sorted by t, so the result does not change.
  assert.equal(verify(spec, [...frames].reverse()).passed, true);
});

test('malformed uploads are request errors', () => {
  const spec = actionSpec(['mouth']);
  const frames = actionSequence(spec, alice);
  const invalid = (fs: LivenessFrame[]) =>
    assert.throws(
      () => verify(spec, fs),
      (e: unknown) => e instanceof ShirenError && e.reason === 'invalid_request',
    );
  invalid(frames.slice(0, 3));
  invalid([...frames, ...frames, ...frames, ...frames, ...frames].slice(0, 41));
  invalid(frames.map((f, i) => (i === 2 ? { ...f, t: frames[1]!.t } : f)));
  invalid(frames.map((f, i) => (i === 2 ? { ...f, t: Number.NaN } : f)));
});

test('frames without a face fail with face_not_found; several faces with multiple_faces', () => {
  const spec = actionSpec(['mouth']);
  const frames = actionSequence(spec, alice);
  const empty = { ...alice.neutral[0]!, faceCount: 0, face: undefined, embedding: undefined };
  const r = verify(
    spec,
    frames.map((f, i) => (i % 4 === 0 ? f : { ...f, features: empty })),
  );
  assert.equal(r.code, 'face_not_found');
  assert.equal(r.bestFrameIndex, -1);
  const crowded = frames.map((f, i) => (i % 3 === 0 ? { ...f, features: { ...f.features, faceCount: 2 } } : f));
  assert.equal(verify(spec, crowded).code, 'multiple_faces');
});

/** Deterministic colour order for the flash tests. */
const fixedRng: ChallengeRng = {
  randomBytes: (n) => new Uint8Array(n).fill(7),
  randomInt: (max) => (max > 2 ? 1 : 0),
};

test('flash: a face lit by the issued colours passes; a still, a wrong order and a whole-frame tint fail', async () => {
  const spec = createChallenge({ mode: 'flash', actionCount: 1, actionPool: ['blink'] }, fixedRng, ISSUED);
  assert.ok(spec.colours.length >= 4);
  const lit = await flashSequence(analyser, alice, spec, (j) => spec.colours[j]);
  const ok = verify(spec, lit);
  assert.equal(ok.passed, true, `${ok.message} ${JSON.stringify(ok.details.flash)}`);

  const still = await flashSequence(analyser, alice, spec, () => undefined);
  const r1 = verify(spec, still);
  assert.equal(r1.code, 'liveness_flash_mismatch', JSON.stringify(r1.details.flash));

  // The face follows colours, but in another order (a recording of a different challenge).
  const rotated = await flashSequence(analyser, alice, spec, (j) => spec.colours[(j + 1) % spec.colours.length]);
  const r2 = verify(spec, rotated);
  assert.equal(r2.code, 'liveness_flash_mismatch', JSON.stringify(r2.details.flash));

  // The issued colours added uniformly to the whole frame (an injected video tinted in real time).
  const tinted = await flashSequence(analyser, alice, spec, (j) => spec.colours[j], { wholeFrame: true });
  const r3 = verify(spec, tinted);
  assert.equal(r3.code, 'liveness_flash_mismatch', JSON.stringify(r3.details.flash));
});

test('silent: a replayed still fails, a moving face passes', async () => {
  const spec = createChallenge({ mode: 'silent', actionCount: 1, actionPool: ['blink'] }, undefined, ISSUED);
  const at = (fs: LivenessFrame['features'][]) =>
    fs.map((features, i) => ({ t: 300 + i * 700, step: 'neutral', features }));
  // The same photo four times, exactly or with sensor noise: no movement beyond re-encoding jitter.
  for (const still of [
    [0, 0, 0, 0],
    [0, 1, 2, 3],
  ]) {
    const r = verify(spec, at(still.map((i) => alice.neutral[i]!)));
    assert.equal(r.code, 'liveness_passive_failed', `${r.message} motion ${r.details.motion}`);
  }
  // A live person moves a little: here the head turns (a real face's turned frames) and comes back.
  const moving = verify(spec, at([alice.neutral[0]!, alice.left, alice.neutral[1]!, alice.mouth]));
  assert.equal(moving.passed, true, `${moving.message} motion ${moving.details.motion}`);
});
