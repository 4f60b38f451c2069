/** Frame analysis through the engine's worker pool, as the session service uses it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { createFaceEngine, type FaceEngine } from '../engine/index.js';
import { createEngineFrameAnalyser } from './engine-frame-analyser.js';

let engine: FaceEngine;
before(async () => {
  engine = await createFaceEngine({ workers: 2 });
});
after(async () => {
  await engine.close();
});

test('frames are measured in order; a frame without a face is a measurement, not an error', async () => {
  const photo = readFileSync(new URL('../../node_modules/@vladmandic/face-api/demo/sample2.jpg', import.meta.url));
  const face = await sharp(photo).resize(640).jpeg().toBuffer();
  const mirrored = await sharp(face).flop().jpeg().toBuffer();
  const blank = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#303030' } })
    .jpeg()
    .toBuffer();
  const analyser = createEngineFrameAnalyser({ engine: () => engine });
  const frames = [face, blank, mirrored, face];
  const out = await analyser.analyse(frames);
  assert.equal(out.length, 4);
  assert.ok(out[0]!.faceCount >= 1 && out[0]!.embedding?.length === 512);
  assert.equal(out[1]!.faceCount, 0);
  assert.equal(out[1]!.embedding, undefined);
  // the same frame measures the same; the mirror flips the sign of yaw
  assert.deepEqual(out[3]!.face?.box, out[0]!.face?.box);
  assert.ok(Math.sign(out[2]!.yaw) === -Math.sign(out[0]!.yaw) || Math.abs(out[0]!.yaw) < 3);
  // by default the caller's buffers stay usable (copied, not transferred to a worker)
  assert.ok(frames.every((f) => f.length > 0));
  await assert.rejects(analyser.analyse([Buffer.from('not an image')]), /not an image|invalid/i);
});
