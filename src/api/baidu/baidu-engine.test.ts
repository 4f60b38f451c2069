/**
 * The Baidu faceprint flow with the real face engine over a real port: uploadMatchImage's quality and liveness
 * control decided by the engine's measurements, the H5 capture through Shiren's /h5/api with real frame analysis and
 * the real verifier (liveness mode none), and a real 1:1 comparison behind result/detail and result/getall.
 * Faces are cut out of the npm package's demo photos (sample6: one person, sample4: another).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { openCore, type Core } from '../../core.js';
import { createFaceEngine } from '../../engine/index.js';
import { createTransactor } from '../../store/repos/index.js';
import { createEngineFrameAnalyser } from '../../verify/engine-frame-analyser.js';
import { loadEngineInBackground, type LoadingEngine } from '../../verify/engine-holder.js';
import { createFaceService, type FaceService } from '../../verify/face-service.js';
import { livenessChallenges } from '../../verify/liveness-challenges.js';
import { createPlanService } from '../../verify/plans.js';
import { LIVENESS_LIMITS, QUALITY_LIMITS } from '../../verify/reference-controls.js';
import { createSessionService } from '../../verify/sessions.js';
import { FACEPRINT_PREFIX } from './index.js';

const demo = (n: number) =>
  readFileSync(new URL(`../../../node_modules/@vladmandic/face-api/demo/sample${n}.jpg`, import.meta.url));

/** The largest face of a demo photo with a margin, as a JPEG. */
async function faceOf(faces: FaceService, n: number): Promise<Buffer> {
  const photo = demo(n);
  const det = await faces.detect(photo);
  const f = det.faces[0]!;
  const m = Math.max(f.box.width, f.box.height);
  const left = Math.max(0, Math.round(f.box.x - m * 0.6));
  const top = Math.max(0, Math.round(f.box.y - m * 0.6));
  const width = Math.min(det.image.width - left, Math.round(f.box.width + m * 1.2));
  const height = Math.min(det.image.height - top, Math.round(f.box.height + m * 1.2));
  return sharp(photo).extract({ left, top, width, height }).jpeg({ quality: 92 }).toBuffer();
}

describe('Baidu faceprint with the real face engine', () => {
  let app: FastifyInstance;
  let core: Core;
  let engine: LoadingEngine;
  let faces: FaceService;
  let cleanup: () => Promise<void>;
  let base: string;
  let accessToken: string;
  let planId: number;
  let alice: Buffer; // sample6
  let bob: Buffer; // sample4
  let carol: Buffer; // sample3

  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${FACEPRINT_PREFIX}/${path}?access_token=${encodeURIComponent(accessToken)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const post = async (url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method: 'POST',
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  /** Four frames of one face at slightly different sizes, as the page would send them (liveness mode none). */
  async function capture(token: string, face: Buffer) {
    const ch = await post(`/h5/api/sessions/${token}/challenge`);
    assert.equal(ch.status, 200, JSON.stringify(ch.json));
    assert.equal(ch.json.mode, 'none');
    const widths = [480, 460, 500, 470];
    const frames = await Promise.all(
      widths.map(async (w, i) => ({
        t: i * 40,
        step: 'neutral',
        image: (await sharp(face).resize({ width: w }).jpeg({ quality: 90 }).toBuffer()).toString('base64'),
      })),
    );
    const at = await post(`/h5/api/sessions/${token}/attempts`, { challengeId: ch.json.challengeId, frames });
    assert.equal(at.status, 200, JSON.stringify(at.json));
    return at.json as { outcome: string; code: string };
  }

  async function session(reference: Buffer): Promise<string> {
    const gen = await call('verifyToken/generate', { plan_id: planId });
    assert.equal(gen.success, true, JSON.stringify(gen));
    const vt = gen.result.verify_token as string;
    const sub = await call('idcard/submit', {
      verify_token: vt,
      id_name: '王小明',
      id_no: '11010519491231002X',
      certificate_type: 0,
    });
    assert.equal(sub.success, true, JSON.stringify(sub));
    const up = await call('uploadMatchImage', {
      verify_token: vt,
      image: reference.toString('base64'),
      quality_control: 'NORMAL',
      liveness_control: 'NONE',
    });
    assert.equal(up.success, true, JSON.stringify(up));
    return vt;
  }

  before(async () => {
    const b = await BACKENDS[0]!.setup();
    cleanup = b.cleanup;
    core = await openCore(testConfig({ ...b.env, SHIREN_BODY_LIMIT: String(16 * 1024 * 1024) }));
    const key = await core.accessKeys.create({ app: 'bank', actor: 'test' });
    engine = loadEngineInBackground(true, createFaceEngine, { workers: 1, timeoutMs: 120_000 }, (err) => {
      throw err;
    });
    await engine.loaded;
    faces = createFaceService({ engines: engine });
    const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
    planId = (
      await plans.create(
        key.appId,
        {
          name: 'bank kyc',
          livenessMode: 'none',
          compareSource: 'uploaded',
          identityInput: 'preset',
          threshold: { far: '1e-4' },
          maxAttempts: 1,
        },
        'test',
      )
    ).plan.id;
    const sessions = createSessionService({
      repos: core.repos,
      transaction: createTransactor(core.store.db),
      blobs: core.blobs,
      keyring: core.keyring,
      faces,
      analyser: createEngineFrameAnalyser(faces),
      challenges: livenessChallenges,
      publicUrl: core.config.publicUrl,
      limits: { ...core.config.sessions, maxImageBytes: core.config.engine.maxImageBytes },
    });
    app = await buildApp({
      core,
      logger: false,
      h5: { sessions, demo: false },
      baidu: { keys: core.accessKeys, keyring: core.keyring, sessions, publicUrl: core.config.publicUrl },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const tok = await fetch(
      `${base}/oauth/2.0/token?grant_type=client_credentials&client_id=${key.accessKeyId}&client_secret=${key.accessKeySecret}`,
      { method: 'POST' },
    );
    accessToken = ((await tok.json()) as { access_token: string }).access_token;
    [alice, bob, carol] = await Promise.all([faceOf(faces, 6), faceOf(faces, 4), faceOf(faces, 3)]);
  });
  after(async () => {
    await app?.close();
    await engine?.close();
    await core?.close();
    await cleanup?.();
  });

  test('uploadMatchImage: quality and liveness control decided by the engine, resolution limit', async () => {
    const gen = await call('verifyToken/generate', { plan_id: planId });
    const vt = gen.result.verify_token as string;
    const upload = (image: Buffer, quality: string, liveness: string) =>
      call('uploadMatchImage', {
        verify_token: vt,
        image: image.toString('base64'),
        quality_control: quality,
        liveness_control: liveness,
      });

    // quality: a blurred copy of a sharp face is refused at NORMAL (clarity) and accepted without control
    const blurred = await sharp(alice).blur(4).jpeg().toBuffer();
    const sharpQ = (await faces.detect(alice)).faces[0]!.quality!;
    const blurQ = (await faces.detect(blurred)).faces[0]!.quality!;
    assert.ok(sharpQ.face_clarity >= QUALITY_LIMITS.high.clarity, `sharp clarity ${sharpQ.face_clarity}`);
    assert.ok(blurQ.face_clarity < QUALITY_LIMITS.normal.clarity, `blurred clarity ${blurQ.face_clarity}`);
    assert.equal((await upload(alice, 'HIGH', 'NONE')).success, true);
    const refused = await upload(blurred, 'NORMAL', 'NONE');
    assert.equal(refused.success, false);
    assert.equal(refused.code, 223114, JSON.stringify(refused));
    assert.equal((await upload(blurred, 'NONE', 'NONE')).success, true);

    // liveness: each level accepts exactly the photos whose passive liveness score reaches its limit
    for (const photo of [alice, carol]) {
      const score = Math.round((await faces.liveness(photo)).liveness.score * 1e4) / 1e4;
      for (const level of ['LOW', 'NORMAL', 'HIGH'] as const) {
        const r = await upload(photo, 'NONE', level);
        const expected = score >= LIVENESS_LIMITS[level.toLowerCase() as 'low' | 'normal' | 'high'];
        assert.equal(r.success, expected, `score ${score} at ${level}: ${JSON.stringify(r)}`);
        if (!expected) assert.equal(r.code, 223120);
      }
    }

    // larger than 1920×1080
    const huge = await sharp(alice).resize({ width: 2000, height: 1200, fit: 'fill' }).jpeg().toBuffer();
    const big = await upload(huge, 'NONE', 'NONE');
    assert.equal(big.code, 216202, JSON.stringify(big));
    assert.match(big.message, /2000×1200/);
    // a photo with several faces
    const group = await upload(demo(1), 'NONE', 'NONE');
    assert.equal(group.code, 222203, JSON.stringify(group));
  });

  test('token → generate → submit → upload → H5 capture (real frames) → the five queries; a different person fails', async () => {
    const vt = await session(alice);
    const outcome = await capture(vt, alice);
    assert.equal(outcome.outcome, 'passed', JSON.stringify(outcome));

    const detail = await call('result/detail', { verify_token: vt });
    assert.equal(detail.success, true, JSON.stringify(detail));
    const vr = detail.result.verify_result;
    assert.ok(vr.score >= 70 && vr.score <= 100, `score ${vr.score}`);
    assert.ok(vr.liveness_score > 0 && vr.liveness_score <= 1);
    assert.equal(vr.spoofing, 0);
    assert.deepEqual(detail.result.idcard_confirm, { name: '王**', idcard_number: '110***********002X' });

    const simple = await call('result/simple', { verify_token: vt });
    const url = new URL(simple.result.image);
    const img = await fetch(`${base}${url.pathname}${url.search}`);
    assert.equal(img.status, 200);
    const captured = Buffer.from(await img.arrayBuffer());
    assert.equal((await faces.detect(captured)).faceCount, 1, 'the served image is the captured face');
    const same = await faces.compare({ imageA: captured, imageB: alice });
    assert.ok(same.score >= 70);

    const all = await call('result/getall', { verify_token: vt });
    const v = all.result.verify_result[0];
    assert.equal(all.result.verify_count, 1);
    assert.equal(all.result.match_charge_count, 1);
    assert.equal(v.is_verify_passed, true);
    assert.equal(v.verify_detail.score, vr.score);
    assert.equal(v.verify_detail.threshold, 70);
    assert.equal(v.verify_detail.liveness_score, vr.liveness_score);
    assert.equal(v.verify_detail.engine_calls, 4 + 1 + 2, 'four frames analysed, passive liveness, one comparison');
    const stat = await call('result/stat', { verify_token: vt });
    assert.deepEqual(stat.result.verify, [{ error_code: 0, count: 1 }]);
    assert.deepEqual(stat.result.Verify_FIN, [{ error_code: 0, count: 1 }]);
    const media = await call('result/media/query', { verify_token: vt });
    assert.equal(media.result.images.length, 2);

    // another person in front of the camera: a real comparison below the threshold, charged, code 222207
    const vt2 = await session(alice);
    const other = await capture(vt2, bob);
    assert.equal(other.outcome, 'failed');
    assert.equal(other.code, 'compare_failed');
    const failed = await call('result/detail', { verify_token: vt2 });
    assert.equal(failed.success, false);
    assert.equal(failed.code, 222207);
    const all2 = await call('result/getall', { verify_token: vt2 });
    const v2 = all2.result.verify_result[0];
    assert.equal(v2.is_verify_passed, false);
    assert.equal(v2.code, '222207');
    assert.equal(v2.is_charged, true);
    assert.ok(v2.verify_detail.score < 70, `score ${v2.verify_detail.score}`);
    // the token is used up (maxAttempts 1)
    const again = await call('uploadMatchImage', { verify_token: vt2, image: alice.toString('base64') });
    assert.equal(again.code, 282808);
    assert.equal(again.message, 'Token无效或者已过期');
  });
});
