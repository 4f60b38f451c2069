/** The native face endpoints over HTTP (inject) with the real engine on images from npm packages. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { openCore, type Core } from '../../core.js';
import { createFaceEngine } from '../../engine/index.js';
import { engineReadiness } from '../../server.js';
import { loadEngineInBackground, type LoadingEngine } from '../../verify/engine-holder.js';
import { createFaceService } from '../../verify/face-service.js';
import { faceRoutes } from './face-routes.js';

const demo = (n: number) =>
  readFileSync(new URL(`../../../node_modules/@vladmandic/face-api/demo/sample${n}.jpg`, import.meta.url));

describe('native face endpoints', () => {
  let app: FastifyInstance;
  let core: Core;
  let engine: LoadingEngine;
  let cleanup: () => Promise<void>;
  let auth: string;
  const faceJpegs: Buffer[] = [];

  const post = (url: string, payload: unknown) =>
    app.inject({
      method: 'POST',
      url,
      headers: { authorization: auth, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });

  before(async () => {
    const b = await BACKENDS[0]!.setup();
    cleanup = b.cleanup;
    core = await openCore(testConfig({ ...b.env, SHIREN_BODY_LIMIT: String(16 * 1024 * 1024) }));
    const key = await core.accessKeys.create({ actor: 'test' });
    auth = `Bearer ${key.accessKeyId}:${key.accessKeySecret}`;
    engine = loadEngineInBackground(true, createFaceEngine, { workers: 1, timeoutMs: 120_000 }, (err) => {
      throw err;
    });
    await engine.loaded;
    app = await buildApp({
      core,
      logger: false,
      nativeRoutes: [faceRoutes(createFaceService({ engines: engine }))],
      readiness: [engineReadiness(engine)],
    });
    // Cut three faces out of the group photo sample1.jpg with the detect endpoint itself.
    const photo = demo(1);
    const res = await post('/v1/faces/detect', { image: photo.toString('base64') });
    assert.equal(res.statusCode, 200, res.body);
    const { image, faces } = res.json() as {
      image: { width: number; height: number };
      faces: { box: { x: number; y: number; width: number; height: number } }[];
    };
    for (const f of faces.slice(0, 3)) {
      const m = Math.max(f.box.width, f.box.height);
      const left = Math.max(0, Math.round(f.box.x - m * 0.6));
      const top = Math.max(0, Math.round(f.box.y - m * 0.6));
      const width = Math.min(image.width - left, Math.round(f.box.width + m * 1.2));
      const height = Math.min(image.height - top, Math.round(f.box.height + m * 1.2));
      faceJpegs.push(await sharp(photo).extract({ left, top, width, height }).jpeg({ quality: 92 }).toBuffer());
    }
  });
  after(async () => {
    await app.close();
    await engine.close();
    await core.close();
    await cleanup();
  });

  test('detect: all faces largest first, with landmarks and quality; requireSingleFace refuses a group', async () => {
    const res = await post('/v1/faces/detect', { image: demo(1).toString('base64') });
    const body = res.json();
    assert.ok(body.faceCount >= 3);
    assert.equal(body.faces.length, body.faceCount);
    const areas = body.faces.map((f: { box: { width: number; height: number } }) => f.box.width * f.box.height);
    assert.deepEqual(
      areas,
      [...areas].sort((a: number, b: number) => b - a),
    );
    assert.equal(body.faces[0].landmarks5.length, 5);
    assert.ok(body.faces[0].quality.comprehensive_score >= 0 && body.faces[0].quality.comprehensive_score <= 100);
    const single = await post('/v1/faces/detect', { image: demo(1).toString('base64'), requireSingleFace: true });
    assert.equal(single.statusCode, 422);
    assert.equal(single.json().error.code, 'multiple_faces');
  });

  test('compare: the same face rotated 90° passes, two people do not; data URLs work', async () => {
    const rotated = await sharp(faceJpegs[0]).rotate(90).jpeg().toBuffer();
    const same = await post('/v1/faces/compare', {
      imageA: faceJpegs[0]!.toString('base64'),
      imageB: `data:image/jpeg;base64,${rotated.toString('base64')}`,
    });
    assert.equal(same.statusCode, 200, same.body);
    const s = same.json();
    assert.equal(s.passed, true);
    assert.ok(s.score >= 90, `score ${s.score}`);
    assert.equal(s.threshold, 70);
    assert.equal(s.far, '1e-4');
    assert.deepEqual(s.thresholds, { '1e-3': 60, '1e-4': 70, '1e-5': 80, '1e-6': 90 });
    assert.equal(s.target.image.rotation !== 0, true, 'the rotation was found');

    const diff = (
      await post('/v1/faces/compare', {
        imageA: faceJpegs[0]!.toString('base64'),
        imageB: faceJpegs[1]!.toString('base64'),
      })
    ).json();
    assert.equal(diff.passed, false);
    assert.ok(diff.score < 60, `score ${diff.score}`);
    // an explicit threshold below the impostor's score flips the decision, and far is null off the anchors
    const loose = (
      await post('/v1/faces/compare', {
        imageA: faceJpegs[0]!.toString('base64'),
        imageB: faceJpegs[1]!.toString('base64'),
        threshold: Math.max(0, diff.score - 1),
      })
    ).json();
    assert.equal(loose.passed, true);
    assert.equal(loose.far, null);
  });

  test('liveness answers a score in 0–1 with its threshold', async () => {
    const res = await post('/v1/faces/liveness', { image: faceJpegs[0]!.toString('base64') });
    assert.equal(res.statusCode, 200, res.body);
    const b = res.json();
    assert.ok(b.score >= 0 && b.score <= 1);
    assert.equal(typeof b.isLive, 'boolean');
    assert.equal(b.isLive, b.score >= b.threshold);
  });

  test('bad input gets its documented code', async () => {
    const cases: [unknown, number, string][] = [
      [
        { imageA: Buffer.from('not an image at all').toString('base64'), imageB: faceJpegs[0]!.toString('base64') },
        400,
        'invalid_image',
      ],
      [{ imageA: faceJpegs[0]!.toString('base64') }, 400, 'invalid_request'],
      [{ imageA: 'x', imageB: 'y', threshold: 101 }, 400, 'invalid_request'],
      [{ imageA: 'x', imageB: 'y', far: '1e-2' }, 400, 'invalid_request'],
      [
        { imageA: faceJpegs[0]!.subarray(0, 2000).toString('base64'), imageB: faceJpegs[0]!.toString('base64') },
        400,
        'image_corrupt',
      ],
    ];
    for (const [payload, status, code] of cases) {
      const res = await post('/v1/faces/compare', payload);
      assert.equal(res.statusCode, status, res.body);
      assert.equal(res.json().error.code, code, res.body);
    }
    const blank = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const noFace = await post('/v1/faces/detect', { image: blank.toString('base64') });
    assert.equal(noFace.json().error.code, 'face_not_found');
    assert.equal(noFace.statusCode, 422);
  });

  test('the face endpoints are in the OpenAPI document; readiness includes the engine', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    for (const p of ['/v1/faces/detect', '/v1/faces/compare', '/v1/faces/liveness']) assert.ok(doc.paths[p]?.post, p);
    const ready = (await app.inject({ url: '/readyz' })).json();
    assert.deepEqual(ready.checks.engine, { ok: true, detail: 'ready' });
  });

  test('without a loaded engine the endpoints answer engine_unavailable and readyz is 503', async () => {
    const loading = loadEngineInBackground(
      true,
      () => new Promise(() => undefined),
      {},
      () => undefined,
    );
    const a = await buildApp({
      core,
      logger: false,
      nativeRoutes: [faceRoutes(createFaceService({ engines: loading }))],
      readiness: [engineReadiness(loading)],
    });
    const res = await a.inject({
      method: 'POST',
      url: '/v1/faces/detect',
      headers: { authorization: auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ image: 'eA==' }),
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'engine_unavailable');
    assert.equal(res.headers['retry-after'], '2');
    assert.equal((await a.inject({ url: '/readyz' })).statusCode, 503);
    await a.close();
  });
});
