import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { ShirenError } from '../errors.js';
import { createFaceEngine, type FaceEngine } from './index.js';

const demoPath = (n: number) => new URL(`../../node_modules/@vladmandic/face-api/demo/sample${n}.jpg`, import.meta.url);
/** A fresh copy each call: this file's engine transfers (detaches) caller-owned buffers. */
const demo = (n: number) => new Uint8Array(readFileSync(demoPath(n)));

let engine: FaceEngine;

before(async () => {
  engine = await createFaceEngine({ workers: 1, queueLimit: 1, transferInputs: true });
});
after(async () => {
  await engine.close();
});

async function rejectsWith(p: Promise<unknown>, reason: string): Promise<ShirenError> {
  let caught: ShirenError | undefined;
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ShirenError, `expected ShirenError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    caught = err;
    return true;
  });
  return caught!;
}

test('engine info names the models and the calibration', () => {
  assert.equal(engine.ready, true);
  assert.equal(engine.info.models.recogniser, 'faceplugin-fr_feature');
  assert.equal(engine.info.calibration.id, 'faceplugin-fr_feature');
  assert.deepEqual(engine.stats(), { workers: 1, busy: 0, queued: 0, queueLimit: 1 });
});

test('detect through the worker pool returns faces largest first', async () => {
  const r = await engine.detect(demo(1));
  assert.ok(r.faceCount >= 3);
  assert.equal(r.faces.length, r.faceCount);
  assert.equal(r.image.width, 1920);
  assert.ok(r.faces[0]!.box.width * r.faces[0]!.box.height >= r.faces[1]!.box.width * r.faces[1]!.box.height);
});

test('compare: the same photo re-encoded scores high, two different demo photos score low', async () => {
  const a = demo(2);
  const aAgain = new Uint8Array(
    await sharp(readFileSync(demoPath(2)))
      .resize({ width: 1200 })
      .webp()
      .toBuffer(),
  );
  const same = await engine.compare(a, aAgain);
  assert.ok(same.similarity > 0.8, `same: ${same.similarity}`);
  assert.ok(same.score >= same.thresholds['1e-4'], `same score ${same.score}`);
  assert.equal(same.source.image.width, 1920);
  assert.equal(same.target.image.width, 1200);
  const diff = await engine.compare(demo(3), demo(6));
  assert.ok(diff.similarity < 0.3, `different: ${diff.similarity}`);
  assert.ok(diff.score < diff.thresholds['1e-3'], `different score ${diff.score}`);
});

test('worker errors arrive as ShirenError with their reason; base64 input works through the pool', async () => {
  await rejectsWith(engine.detect(new TextEncoder().encode('not an image')), 'invalid_image');
  await rejectsWith(engine.embed(demo(1), { requireSingleFace: true }), 'multiple_faces');
  const b64 = readFileSync(demoPath(1)).toString('base64');
  const r = await engine.embed(`data:image/jpeg;base64,${b64}`);
  assert.equal(r.embedding.length, 512);
  assert.ok(r.faceCount >= 3);
});

test('a full queue rejects at once with engine_busy (retryAfter 1); queued and running jobs still finish', async () => {
  const running = engine.detect(demo(4)); // dispatched to the only worker
  const queued = engine.detect(demo(5)); // waits (queue limit 1)
  assert.deepEqual(engine.stats(), { workers: 1, busy: 1, queued: 1, queueLimit: 1 });
  const err = await rejectsWith(engine.detect(demo(6)), 'engine_busy');
  assert.equal(err.retryAfter, 1);
  const [a, b] = await Promise.all([running, queued]);
  assert.ok(a.faceCount >= 1 && b.faceCount >= 1);
  assert.equal(engine.stats().queued, 0);
});

test('an aborted signal rejects the queued job and frees its queue place', async () => {
  const running = engine.detect(demo(4));
  const controller = new AbortController();
  const queued = engine.detect(demo(5), { signal: controller.signal });
  controller.abort();
  await rejectsWith(queued, 'timeout');
  assert.equal(engine.stats().queued, 0);
  await running;
});

test('the transferred input buffer is detached (bytes moved, not copied)', async () => {
  const bytes = demo(1);
  await engine.detect(bytes);
  assert.equal(bytes.byteLength, 0);
});
