/**
 * The Baidu faceprint H5 protocol over a real port with fetch, requests shaped as the reference's examples (JSON
 * bodies, access_token in the query): token → generate → submit → upload → H5 capture (Shiren's /h5/api, as the page
 * calls it) → the five result queries, every field and error case. The face engine, frame analysis and challenge
 * verifier are deterministic fakes (src/api/baidu/baidu-engine.test.ts runs the real engine); the clock is injected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { openCore, type Core } from '../../core.js';
import type { FrameFeatures } from '../../engine/types.js';
import { ShirenError } from '../../errors.js';
import { createTransactor } from '../../store/repos/index.js';
import { createPlanService, type PlanInput } from '../../verify/plans.js';
import {
  createSessionService,
  type ChallengeVerdict,
  type FrameAnalyser,
  type LivenessChallenges,
  type SessionFaces,
} from '../../verify/sessions.js';
import { loggerOptions } from '../common/logging.js';
import { ACCESS_TOKEN_TTL_SECONDS } from './access-token.js';
import { FACEPRINT_PREFIX, UNMASKED_APPS_SETTING, chinaTime, revealIdentityFromSettings } from './index.js';

// ---- fakes: a "JPEG" is FF D8 FF + a label such as "alice:3"; the person is the part before ":" ----
const jpeg = (label: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(label)]);
const labelOf = (b: Uint8Array) => Buffer.from(b.subarray(3)).toString();
const personOf = (b: Uint8Array) => labelOf(b).split(':')[0]!;
const b64 = (label: string) => jpeg(label).toString('base64');
const quality = (clarity: number) => ({
  comprehensive_score: 80,
  face_clarity: clarity,
  brightness: 0.55,
  exposure: 0,
  pose_pitch: 3,
  pose_yaw: 5,
  pose_roll: 1,
  mouth_occlusion: 0.05,
  left_eye_occlusion: 0.02,
  right_eye_occlusion: 0.03,
  have_cap: 0.1,
});
const faceSummary = (label: string) => ({
  box: { x: 100, y: 100, width: 200, height: 200 },
  score: 0.99,
  landmarks5: [
    [150, 170],
    [250, 170],
    [200, 220],
    [160, 260],
    [240, 260],
  ] as [number, number][],
  quality: quality(label.includes('blurry') ? 0.1 : 0.85),
});

let engineCalls = 0;
const faces: SessionFaces = {
  async detect(input) {
    engineCalls++;
    const bytes = input as Uint8Array;
    if (!(bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff))
      throw new ShirenError('invalid_image', 'not a JPEG (fake engine)');
    const l = labelOf(bytes);
    const image = l.includes('huge')
      ? { width: 2400, height: 1600, rotation: 0 }
      : { width: 640, height: 480, rotation: 0 };
    if (l.includes('noface')) return { image, faceCount: 0, faces: [] } as never;
    return { image, faceCount: 1, faces: [faceSummary(l)] } as never;
  },
  async liveness(input) {
    engineCalls++;
    const score = labelOf(input as Uint8Array).includes('spoof') ? 0.2 : 0.95;
    return { liveness: { score, models: {} }, threshold: 0.5, isLive: score >= 0.5 } as never;
  },
  async compare(req) {
    engineCalls += 2;
    const score = personOf(req.imageA as Uint8Array) === personOf(req.imageB as Uint8Array) ? 93.5 : 12.25;
    const threshold = req.threshold ?? 70;
    return { score, similarity: 0, passed: score >= threshold, threshold } as never;
  },
};

const analyser: FrameAnalyser = {
  async analyse(frames) {
    return frames.map((b): FrameFeatures => {
      const none = labelOf(b).includes('noface');
      const f = faceSummary(labelOf(b));
      return {
        width: 640,
        height: 480,
        faceCount: none ? 0 : 1,
        ...(none ? {} : { face: { box: f.box, score: f.score, landmarks5: f.landmarks5 as never } }),
        yaw: 0,
        pitch: 0,
        roll: 0,
        leftEye: 0.3,
        rightEye: 0.3,
        mouth: 0,
        faceColour: [120, 100, 90],
        backgroundColour: [50, 50, 50],
      };
    });
  },
};

/** Fails with liveness_action_missing when 5 frames are sent, face_not_found on a "noface" frame, else passes (best = 1). */
const challenges: LivenessChallenges = {
  create(plan, now) {
    return {
      mode: plan.mode,
      actions: plan.actionPool.slice(0, plan.actionCount),
      colours: [],
      stepMs: 3000,
      colourMs: 0,
      maxDurationMs: 10_000,
      issuedAt: now.toISOString(),
    };
  },
  verify(_spec, frames): ChallengeVerdict {
    if (frames.some((f) => f.features.faceCount === 0))
      return { passed: false, code: 'face_not_found', message: 'no face', bestFrameIndex: -1 };
    if (frames.length === 5)
      return { passed: false, code: 'liveness_action_missing', message: 'The action was not seen.', bestFrameIndex: 1 };
    return { passed: true, message: 'ok', bestFrameIndex: 1 };
  },
};

const frames = (person: string, n = 6) =>
  Array.from({ length: n }, (_, i) => ({
    t: i * 500,
    step: i === 0 ? 'neutral' : 'blink',
    image: b64(`${person}:${i}`),
  }));

const NAME = '张三';
const ID_NO = '110101199003074514';
const REGISTRY_PHOTO = 'registry/test-alice.img';

interface Answer {
  status: number;
  json: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('Baidu faceprint H5 over HTTP (fake engine)', () => {
  let app: FastifyInstance;
  let core: Core;
  let cleanup: () => Promise<void>;
  let base: string;
  let clock = new Date('2026-03-01T08:00:00Z');
  const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));
  const logs: string[] = [];
  let key: { accessKeyId: string; accessKeySecret: string; appId: string };
  let other: { accessKeyId: string; accessKeySecret: string; appId: string };
  let accessToken: string;
  let otherToken: string;
  let plans: ReturnType<typeof createPlanService>;

  const post = async (url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${base}${url}`, {
      method: 'POST',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Answer['json'] };
  };
  /** A faceprint call exactly as the reference shows it: POST, JSON body, access_token in the URL. */
  const call = (path: string, body: unknown, token = accessToken) =>
    post(`${FACEPRINT_PREFIX}/${path}?access_token=${encodeURIComponent(token)}`, body);
  const oauthToken = async (id: string, secret: string) => {
    const r = await post(
      `/oauth/2.0/token?grant_type=client_credentials&client_id=${encodeURIComponent(id)}&client_secret=${encodeURIComponent(secret)}`,
      undefined,
      { 'content-type': 'application/json' }, // as Baidu's samples send it: JSON content type, empty body
    );
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json.access_token as string;
  };
  const plan = async (input: PlanInput, appId = key.appId) => (await plans.create(appId, input, 'test')).plan.id;

  /** The H5 page's calls: a challenge, then the captured frames. */
  async function capture(token: string, person: string, n = 6) {
    const ch = await post(`/h5/api/sessions/${token}/challenge`);
    assert.equal(ch.status, 200, JSON.stringify(ch.json));
    const at = await post(`/h5/api/sessions/${token}/attempts`, {
      challengeId: ch.json.challengeId,
      frames: frames(person, n),
    });
    assert.equal(at.status, 200, JSON.stringify(at.json));
    return at.json as { outcome: string; code: string };
  }

  /** generate → submit → upload for a preset + uploaded plan. */
  async function prepared(planId: number, reference = 'alice:ref') {
    const gen = await call('verifyToken/generate', { plan_id: planId });
    assert.equal(gen.json.success, true, JSON.stringify(gen.json));
    const vt = gen.json.result.verify_token as string;
    const sub = await call('idcard/submit', { verify_token: vt, id_name: NAME, id_no: ID_NO, certificate_type: 0 });
    assert.equal(sub.json.success, true, JSON.stringify(sub.json));
    const up = await call('uploadMatchImage', { verify_token: vt, image: b64(reference) });
    assert.equal(up.json.success, true, JSON.stringify(up.json));
    return vt;
  }

  before(async () => {
    const b = await BACKENDS[0]!.setup();
    cleanup = b.cleanup;
    core = await openCore(testConfig({ ...b.env, SHIREN_PUBLIC_URL: 'https://verify.example.com' }));
    key = await core.accessKeys.create({ actor: 'test', app: 'shop' });
    other = await core.accessKeys.create({ actor: 'test', app: 'rival' });
    const now = () => clock;
    plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring, now });
    const sessions = createSessionService({
      repos: core.repos,
      transaction: createTransactor(core.store.db),
      blobs: core.blobs,
      keyring: core.keyring,
      faces,
      analyser,
      challenges,
      publicUrl: core.config.publicUrl,
      limits: { ipFailureLimit: 50, ipFailureWindowSeconds: 180, maxImageBytes: 1 << 20 },
      // the identity registry holds a photo of ID_NO only
      registryPhotoKey: async (_appId, identity) => (identity.idNumber === ID_NO ? REGISTRY_PHOTO : undefined),
      now,
    });
    await core.blobs.put(REGISTRY_PHOTO, jpeg('alice:registry'));
    app = await buildApp({
      core,
      logger: {
        ...(loggerOptions('info') as object),
        stream: { write: (line: string) => void logs.push(line) },
      } as FastifyServerOptions['logger'],
      h5: { sessions, demo: false },
      baidu: {
        keys: core.accessKeys,
        keyring: core.keyring,
        sessions,
        plans,
        publicUrl: core.config.publicUrl,
        revealIdentity: revealIdentityFromSettings(core.repos.settings),
        now,
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    accessToken = await oauthToken(key.accessKeyId, key.accessKeySecret);
    otherToken = await oauthToken(other.accessKeyId, other.accessKeySecret);
  });
  after(async () => {
    await app?.close();
    await core?.close();
    await cleanup?.();
  });

  test('oauth/2.0/token: client_credentials in the query (empty JSON body), a form, or GET; OAuth errors', async () => {
    const q = `grant_type=client_credentials&client_id=${key.accessKeyId}&client_secret=${key.accessKeySecret}`;
    const r = await post(`/oauth/2.0/token?${q}`);
    assert.equal(r.status, 200);
    assert.match(r.json.access_token, new RegExp(`^24\\.[0-9a-f]{32}\\.2592000\\.\\d+\\.${key.accessKeyId}$`));
    assert.equal(r.json.expires_in, 2_592_000);
    assert.equal(r.json.expires_in, ACCESS_TOKEN_TTL_SECONDS);
    assert.match(r.json.scope, /brain_all_scope/);
    const form = await fetch(`${base}/oauth/2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: q,
    });
    assert.equal(form.status, 200);
    assert.equal(form.headers.get('cache-control'), 'no-store');
    const formToken = ((await form.json()) as { access_token: string }).access_token;
    // the form's token works on a faceprint call (a second token does not invalidate the first)
    const p = await plan({ name: 'oauth', livenessMode: 'action' });
    for (const t of [formToken, accessToken])
      assert.equal((await call('verifyToken/generate', { plan_id: p }, t)).json.success, true);
    const get = await fetch(`${base}/oauth/2.0/token?${q}`);
    assert.equal(get.status, 200);

    const refuse = async (query: string, status: number, error: string, description: RegExp) => {
      const res = await post(`/oauth/2.0/token?${query}`);
      assert.equal(res.status, status, query);
      assert.equal(res.json.error, error, query);
      assert.match(res.json.error_description, description, query);
      assert.equal(res.json.access_token, undefined);
    };
    await refuse(
      `client_id=${key.accessKeyId}&client_secret=${key.accessKeySecret}`,
      400,
      'invalid_request',
      /grant_type/,
    );
    await refuse(`grant_type=password&client_id=${key.accessKeyId}`, 400, 'unsupported_grant_type', /not supported/);
    await refuse(
      'grant_type=client_credentials&client_id=SRNOSUCHKEY&client_secret=x',
      401,
      'invalid_client',
      /^unknown client id$/,
    );
    await refuse(
      `grant_type=client_credentials&client_id=${key.accessKeyId}&client_secret=wrong`,
      401,
      'invalid_client',
      /^Client authentication failed$/,
    );
    await refuse(`grant_type=client_credentials&client_secret=x`, 401, 'invalid_client', /unknown client id/);
  });

  test('access_token: missing, malformed, tampered → 110; 30 days old → 111; a disabled key stops at once; unknown call → 3', async () => {
    const p = await plan({ name: 'tokens' });
    const gw = async (url: string, code: number, msg: string) => {
      const r = await post(url, { plan_id: p });
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.json).sort(), ['error_code', 'error_msg', 'log_id']);
      assert.equal(r.json.error_code, code, url);
      assert.equal(r.json.error_msg, msg);
      assert.match(r.json.log_id, /^\d+$/);
    };
    const gen = `${FACEPRINT_PREFIX}/verifyToken/generate`;
    await gw(gen, 110, 'Access token invalid or no longer valid');
    await gw(`${gen}?access_token=`, 110, 'Access token invalid or no longer valid');
    await gw(`${gen}?access_token=24.abc`, 110, 'Access token invalid or no longer valid');
    const parts = accessToken.split('.');
    const tampered = [parts[0], parts[1], parts[2], String(Number(parts[3]) + 86_400), parts[4]].join('.');
    await gw(`${gen}?access_token=${tampered}`, 110, 'Access token invalid or no longer valid');
    const forged = [parts[0], parts[1], parts[2], parts[3], other.accessKeyId].join('.');
    await gw(`${gen}?access_token=${forged}`, 110, 'Access token invalid or no longer valid');

    const saved = clock;
    advance(ACCESS_TOKEN_TTL_SECONDS * 1000 - 1000);
    assert.equal((await call('verifyToken/generate', { plan_id: p })).json.success, true);
    advance(1000);
    await gw(`${gen}?access_token=${accessToken}`, 111, 'Access token expired');
    clock = saved;

    const doomed = await core.accessKeys.create({ actor: 'test', app: 'shop' });
    const doomedToken = await oauthToken(doomed.accessKeyId, doomed.accessKeySecret);
    assert.equal((await call('verifyToken/generate', { plan_id: p }, doomedToken)).json.success, true);
    await core.accessKeys.disable(doomed.accessKeyId, 'test');
    await gw(`${gen}?access_token=${doomedToken}`, 110, 'Access token invalid or no longer valid');
    const again = await post(
      `/oauth/2.0/token?grant_type=client_credentials&client_id=${doomed.accessKeyId}&client_secret=${doomed.accessKeySecret}`,
    );
    assert.equal(again.json.error, 'invalid_client');

    await gw(`${FACEPRINT_PREFIX}/verifyToken/nosuchcall?access_token=${accessToken}`, 3, 'Unsupported openapi method');
    const getCall = await fetch(`${base}${gen}?access_token=${accessToken}`);
    assert.equal(((await getCall.json()) as { error_code: number }).error_code, 3);
  });

  test('the reference flow: token → generate → submit → upload → H5 capture → the five result queries, every field', async () => {
    const p = await plan({
      name: 'kyc',
      livenessMode: 'action',
      compareSource: 'uploaded',
      identityInput: 'preset',
      threshold: { far: '1e-4' },
      maxAttempts: 3,
    });
    // 1. verifyToken/generate, the reference's body {"plan_id": 1} (a number; a numeric string works too)
    const gen = await call('verifyToken/generate', { plan_id: p });
    assert.equal(gen.status, 200);
    assert.deepEqual(Object.keys(gen.json).sort(), ['log_id', 'result', 'success']);
    assert.equal(gen.json.success, true);
    assert.match(gen.json.log_id, /^\d+$/);
    const vt = gen.json.result.verify_token as string;
    assert.match(vt, /^[A-Za-z0-9]{24}$/);
    assert.equal(gen.json.result.url, `https://verify.example.com/h5/?token=${vt}`);
    assert.equal((await call('verifyToken/generate', { plan_id: String(p) })).json.success, true);
    // the page URL clients build from Baidu's (host swapped) lands on Shiren's page
    const entry = await fetch(`${base}/face/print/?token=${vt}&successUrl=x&failedUrl=y`, { redirect: 'manual' });
    assert.equal(entry.status, 302);
    assert.equal(entry.headers.get('location'), `/h5/?token=${vt}`);

    // before the H5 capture the result queries say the token is not usable yet
    const early = await call('result/detail', { verify_token: vt });
    assert.equal(early.json.success, false);
    assert.equal(early.json.code, 282808);
    assert.match(early.json.message, /^Token无效或者已过期/);

    // 2. idcard/submit
    const sub = await call('idcard/submit', {
      verify_token: vt,
      id_name: NAME,
      id_no: ID_NO,
      certificate_type: 0,
    });
    assert.deepEqual(sub.json, { success: true, result: 1, log_id: sub.json.log_id });
    const h5 = await fetch(`${base}/h5/api/sessions/${vt}`);
    const view = (await h5.json()) as { needsIdentity: boolean; identity: { name: string; idNumber: string } };
    assert.equal(view.needsIdentity, false);
    assert.deepEqual(view.identity, { name: '张*', idNumber: '110***********4514' });

    // 3. uploadMatchImage with the reference's controls
    const calls = engineCalls;
    const up = await call('uploadMatchImage', {
      verify_token: vt,
      image: b64('alice:ref'),
      quality_control: 'LOW',
      liveness_control: 'LOW',
    });
    assert.deepEqual(up.json, { success: true, result: null, log_id: up.json.log_id });
    assert.equal(engineCalls - calls, 2, 'detect + liveness of the reference');

    // 4. the H5 capture, as the page does it
    const outcome = await capture(vt, 'alice');
    assert.equal(outcome.outcome, 'passed');

    // 5a. result/simple: the captured face as a URL that serves the image
    const simple = await call('result/simple', { verify_token: vt });
    assert.equal(simple.json.success, true);
    assert.deepEqual(Object.keys(simple.json.result), ['image']);
    const imageUrl = new URL(simple.json.result.image);
    assert.equal(imageUrl.origin, 'https://verify.example.com');
    assert.equal(imageUrl.pathname, '/solution/faceprint/image/query');
    const img = await fetch(`${base}${imageUrl.pathname}${imageUrl.search}`);
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/jpeg');
    assert.equal(labelOf(new Uint8Array(await img.arrayBuffer())), 'alice:1', 'the best frame (index 1)');
    const tamperedUrl = imageUrl.search.replace(/kind=best/, 'kind=env');
    assert.equal((await fetch(`${base}${imageUrl.pathname}${tamperedUrl}`)).status, 403);

    // 5b. result/detail
    const detail = await call('result/detail', { verify_token: vt });
    assert.deepEqual(detail.json, {
      success: true,
      result: {
        verify_result: { score: 93.5, liveness_score: 0.95, spoofing: 0 },
        idcard_confirm: { name: '张*', idcard_number: '110***********4514' },
        is_demote: false,
      },
      log_id: detail.json.log_id,
    });

    // 5c. result/stat
    const stat = await call('result/stat', { verify_token: vt });
    assert.deepEqual(stat.json.result, {
      Verify_FIN: [{ error_code: 0, count: 1 }],
      Sessioncode: [{ error_code: 0, count: 1 }],
      OCR: [],
      verify: [{ error_code: 0, count: 1 }],
      VideoLiveness: [{ error_code: 0, count: 1 }],
      Livenesscolorful: [],
      VerifySec: [],
    });

    // 5d. result/media/query: no video is recorded; the best and the environment frames
    const media = await call('result/media/query', { verify_token: vt });
    assert.equal(media.json.success, true);
    assert.deepEqual(media.json.result.processVideo, []);
    assert.deepEqual(media.json.result.video, []);
    assert.equal(media.json.result.extInfo, null);
    assert.equal(media.json.result.images.length, 2);
    const envUrl = new URL(media.json.result.images[1]);
    const env = await fetch(`${base}${envUrl.pathname}${envUrl.search}`);
    assert.equal(labelOf(new Uint8Array(await env.arrayBuffer())), 'alice:0', 'the earliest frame');

    // 5e. result/getall: every field
    const all = await call('result/getall', { verify_token: vt });
    assert.equal(all.json.success, true);
    const r = all.json.result;
    assert.equal(r.verify_count, 1);
    assert.equal(r.ocr_charge_count, 0);
    assert.equal(r.match_charge_count, 1);
    assert.equal(r.verify_charge_count, 0);
    const v = r.verify_result[0];
    assert.match(v.verify_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.equal(v.verify_time, chinaTime(clock.toISOString()));
    assert.equal(v.verify_time, '2026-03-01 16:00:00', 'UTC 08:00 is 16:00 in China');
    assert.match(v.verify_detail.face_image, /^https:\/\/verify\.example\.com\/solution\/faceprint\/image\/query\?/);
    assert.deepEqual(v, {
      order: 1,
      is_verify_passed: true,
      code: '0',
      message: '核验成功',
      verify_time: v.verify_time,
      is_charged: true,
      charge_type: 'match',
      charge_time: v.verify_time,
      verify_detail: {
        face_image: v.verify_detail.face_image,
        verify_log_id: '',
        score: 93.5,
        threshold: 70,
        liveness_score: 0.95,
        is_demote: false,
        engine_calls: 6 + 1 + 2,
      },
      idcard_confirm: { name: '张*', idcard_number: '110***********4514', idcard_type: '0' },
    });

    // the token is used up: no more identity, reference or capture
    for (const [path, body] of [
      ['idcard/submit', { verify_token: vt, id_name: NAME, id_no: ID_NO }],
      ['uploadMatchImage', { verify_token: vt, image: b64('alice:ref') }],
    ] as const) {
      const used = await call(path, body);
      assert.deepEqual(used.json, {
        success: false,
        result: null,
        code: 282808,
        message: 'Token无效或者已过期',
        log_id: used.json.log_id,
      });
    }
    assert.equal((await post(`/h5/api/sessions/${vt}/challenge`)).status, 409);

    // another app's access_token cannot use this verify_token (Baidu: a mismatched access_token)
    for (const path of ['result/simple', 'result/detail', 'result/stat', 'result/media/query', 'result/getall']) {
      const theirs = await call(path, { verify_token: vt }, otherToken);
      assert.equal(theirs.json.code, 282808, path);
      assert.equal(theirs.json.message, 'Token无效或者已过期', path);
    }
  });

  test('parameter errors: generate, submit (certificate_type 0–5, ID formats), upload (image, controls)', async () => {
    const p = await plan({ name: 'params', compareSource: 'uploaded', identityInput: 'preset' });
    const fail = async (path: string, body: unknown, code: number, message?: RegExp) => {
      const r = await call(path, body);
      assert.equal(r.status, 200);
      assert.equal(r.json.success, false, `${path} ${JSON.stringify(body)}`);
      assert.equal(r.json.result, null);
      assert.equal(r.json.code, code, `${path} ${JSON.stringify(body)}: ${r.json.message}`);
      if (message) assert.match(r.json.message, message);
    };
    await fail('verifyToken/generate', {}, 216101, /plan_id/);
    await fail('verifyToken/generate', { plan_id: 'abc' }, 216100, /plan_id/);
    await fail('verifyToken/generate', { plan_id: 999_999 }, 216100, /不存在/);
    const theirs = await plan({ name: 'theirs' }, other.appId);
    await fail('verifyToken/generate', { plan_id: theirs }, 216100, /不存在/);
    await fail(
      'verifyToken/generate',
      { plan_id: p, redirect_config: { success_url: 'https://a' } },
      216100,
      /redirect_config/,
    );
    await fail('verifyToken/generate', '{"plan_id":', 222200);
    await fail('verifyToken/generate', '[1]', 222200);
    const empty = await post(`${FACEPRINT_PREFIX}/verifyToken/generate?access_token=${accessToken}`);
    assert.equal(empty.json.code, 216101);

    const vt = (await call('verifyToken/generate', { plan_id: p })).json.result.verify_token as string;
    const id = { verify_token: vt, id_name: NAME, id_no: ID_NO };
    await fail('idcard/submit', { ...id, verify_token: undefined }, 216101, /verify_token/);
    await fail('idcard/submit', { ...id, id_name: '' }, 216101, /id_name/);
    await fail('idcard/submit', { ...id, id_no: undefined }, 216101, /id_no/);
    await fail('idcard/submit', { ...id, id_no: 110101 }, 216100, /id_no/);
    for (const t of [6, -1, 1.5, 'x', true])
      await fail('idcard/submit', { ...id, certificate_type: t }, 216100, /certificate_type/);
    await fail('idcard/submit', { ...id, id_no: '110101199003074515' }, 216100, /check digit/);
    await fail('idcard/submit', { ...id, certificate_type: 4 }, 216100, /certificate type 4/);
    await fail('idcard/submit', { ...id, certificate_type: 5, id_no: '12345678' }, 216100, /certificate type 5/);
    await fail('idcard/submit', { ...id, verify_token: 'A'.repeat(24) }, 282808, /^Token无效或者已过期$/);
    // every type with a number of its own format is accepted (the last one stays)
    for (const [type, no] of [
      [1, 'H12345678'],
      [2, 'ABC123456789012'],
      [3, 'E12345678'],
      [4, '810000199408230021'],
      [5, 'M1234567890'],
      ['0', ID_NO],
    ] as const) {
      const ok = await call('idcard/submit', { ...id, id_no: no, certificate_type: type });
      assert.equal(ok.json.success, true, `${type} ${no}: ${JSON.stringify(ok.json)}`);
    }

    const img = { verify_token: vt, image: b64('bob:ref') };
    await fail('uploadMatchImage', { verify_token: vt }, 216101, /image/);
    await fail('uploadMatchImage', { ...img, quality_control: 'MAX' }, 223118, /quality_control/);
    await fail('uploadMatchImage', { ...img, liveness_control: 1 }, 223119, /liveness_control/);
    await fail('uploadMatchImage', { ...img, image: '%%%' }, 216100);
    await fail('uploadMatchImage', { ...img, image: Buffer.from('not an image').toString('base64') }, 216201);
    await fail('uploadMatchImage', { ...img, image: b64('bob:noface') }, 222202);
    await fail('uploadMatchImage', { ...img, image: b64('bob:huge') }, 216202, /1920×1080/);
    await fail('uploadMatchImage', { ...img, image: 'A'.repeat(10 * 1024 * 1024 + 4) }, 216202, /10 MB/);
    // quality and liveness control are applied for real: a blurred face passes NONE and fails LOW; a spoof fails LOW
    assert.equal((await call('uploadMatchImage', { ...img, image: b64('bob:blurry') })).json.success, true);
    await fail('uploadMatchImage', { ...img, image: b64('bob:blurry'), quality_control: 'LOW' }, 223114, /blurred/);
    assert.equal((await call('uploadMatchImage', { ...img, image: b64('bob:spoof') })).json.success, true);
    await fail('uploadMatchImage', { ...img, image: b64('bob:spoof'), liveness_control: 'low' }, 223120, /liveness/);
    assert.equal(
      (await call('uploadMatchImage', { ...img, quality_control: 'HIGH', liveness_control: 'HIGH' })).json.success,
      true,
    );

    // a plan that is not preset / not uploaded refuses submit / upload
    const silent = await plan({ name: 'no-identity', livenessMode: 'action' });
    const vt2 = (await call('verifyToken/generate', { plan_id: silent })).json.result.verify_token as string;
    await fail('idcard/submit', { ...id, verify_token: vt2 }, 216100, /preset/);
    await fail('uploadMatchImage', { ...img, verify_token: vt2 }, 216100, /uploaded/);
    // a result query of a session that is still open
    await fail('result/getall', { verify_token: vt2 }, 282808, /尚未完成/);
    await fail('result/stat', {}, 216101, /verify_token/);
  });

  test('a failed attempt, then a final failure: getall lists both with charges; simple/detail answer the failure code', async () => {
    const p = await plan({
      name: 'retry',
      livenessMode: 'action',
      compareSource: 'uploaded',
      identityInput: 'preset',
      maxAttempts: 3,
      invalidateOnFailure: false,
    });
    const vt = await prepared(p);
    assert.equal((await capture(vt, 'mallory')).outcome, 'retry');
    // getall and stat report the attempts so far while the session is still open; detail waits for the end
    const partial = await call('result/getall', { verify_token: vt });
    assert.equal(partial.json.result.verify_count, 1);
    assert.equal((await call('result/detail', { verify_token: vt })).json.code, 282808);
    assert.equal((await capture(vt, 'alice', 5)).outcome, 'retry');
    assert.equal((await capture(vt, 'mallory')).outcome, 'failed');

    const all = (await call('result/getall', { verify_token: vt })).json.result;
    assert.equal(all.verify_count, 3);
    assert.equal(all.match_charge_count, 2, 'two attempts reached the comparison');
    assert.deepEqual(
      all.verify_result.map((v: Record<string, unknown>) => [v.order, v.is_verify_passed, v.code, v.is_charged]),
      [
        [1, false, '222207', true],
        [2, false, '223120', false],
        [3, false, '222207', true],
      ],
    );
    const [first, second, third] = all.verify_result;
    assert.equal(first.verify_detail.score, 12.25);
    assert.equal(first.verify_detail.threshold, 70);
    assert.equal(first.verify_detail.face_image, '', 'older attempts keep no face image');
    assert.equal(second.verify_detail.score, null);
    assert.equal(second.charge_time, '');
    assert.equal(second.charge_type, 'match');
    assert.match(second.message, /活体检测未通过 \(liveness_action_missing\)/);
    assert.notEqual(third.verify_detail.face_image, '');

    const stat = (await call('result/stat', { verify_token: vt })).json.result;
    assert.deepEqual(stat.Verify_FIN, [
      { error_code: 222207, count: 2 },
      { error_code: 223120, count: 1 },
    ]);
    assert.deepEqual(stat.verify, [{ error_code: 222207, count: 2 }]);
    assert.deepEqual(stat.VideoLiveness, [
      { error_code: 0, count: 2 },
      { error_code: 223120, count: 1 },
    ]);
    assert.deepEqual(stat.Sessioncode, [{ error_code: 0, count: 3 }]);

    for (const path of ['result/simple', 'result/detail']) {
      const r = await call(path, { verify_token: vt });
      assert.equal(r.json.success, false);
      assert.equal(r.json.code, 222207, path);
      assert.match(r.json.message, /人脸比对未通过/);
    }
    const media = (await call('result/media/query', { verify_token: vt })).json.result;
    assert.equal(media.images.length, 2);
  });

  test('registry plan (权威库比对): the comparison is charged as verify (人脸实名认证 V4), not match', async () => {
    const p = await plan({ name: 'registry', compareSource: 'registry', identityInput: 'preset' });
    const gen = await call('verifyToken/generate', { plan_id: p });
    const vt = gen.json.result.verify_token as string;
    // no identity yet: the page cannot start
    assert.equal((await post(`/h5/api/sessions/${vt}/challenge`)).status, 409);
    assert.equal((await call('idcard/submit', { verify_token: vt, id_name: NAME, id_no: ID_NO })).json.success, true);
    // uploadMatchImage is for plans that compare with an uploaded photo
    const up = await call('uploadMatchImage', { verify_token: vt, image: b64('alice:ref') });
    assert.equal(up.json.code, 216100);
    assert.equal((await capture(vt, 'alice')).outcome, 'passed');
    const all = (await call('result/getall', { verify_token: vt })).json.result;
    assert.equal(all.verify_charge_count, 1);
    assert.equal(all.match_charge_count, 0);
    assert.equal(all.verify_result[0].charge_type, 'verify');
    assert.equal(all.verify_result[0].is_charged, true);
    assert.equal(all.verify_result[0].verify_detail.score, 93.5);
    assert.deepEqual((await call('result/detail', { verify_token: vt })).json.result.verify_result, {
      score: 93.5,
      liveness_score: 0.95,
      spoofing: 0,
    });
    // another person against the registry photo
    const vt2 = (await call('verifyToken/generate', { plan_id: p })).json.result.verify_token as string;
    await call('idcard/submit', { verify_token: vt2, id_name: NAME, id_no: ID_NO });
    assert.equal((await capture(vt2, 'mallory')).outcome, 'retry');
    const retry = (await call('result/getall', { verify_token: vt2 })).json.result;
    assert.equal(retry.verify_charge_count, 1);
    assert.equal(retry.verify_result[0].code, '222207');
  });

  test('liveness-only plan: nothing charged; the 2-hour token and the 3-day result window', async () => {
    const p = await plan({
      name: 'live-only',
      livenessMode: 'action',
      resultRetentionHours: 72,
      mediaRetentionHours: 24,
    });
    const vt = (await call('verifyToken/generate', { plan_id: p })).json.result.verify_token as string;
    assert.equal((await capture(vt, 'carol')).outcome, 'passed');
    const all = (await call('result/getall', { verify_token: vt })).json.result;
    assert.equal(all.match_charge_count, 0);
    assert.equal(all.verify_result[0].is_charged, false);
    assert.equal(all.verify_result[0].charge_type, '');
    assert.equal(all.verify_result[0].verify_detail.threshold, null);
    assert.deepEqual(all.verify_result[0].idcard_confirm, { name: '', idcard_number: '', idcard_type: '' });
    const detail = (await call('result/detail', { verify_token: vt })).json.result;
    assert.deepEqual(detail.verify_result, { score: 0, liveness_score: 0.95, spoofing: 0 });
    assert.equal((await call('result/stat', { verify_token: vt })).json.result.verify.length, 0);

    // a token not used within 2 hours is gone
    const idle = (await call('verifyToken/generate', { plan_id: p })).json.result.verify_token as string;
    const saved = clock;
    advance(2 * 3600_000);
    const late = await call('result/getall', { verify_token: idle });
    assert.equal(late.json.code, 282808);
    assert.equal(late.json.message, 'Token无效或者已过期');
    assert.equal((await post(`/h5/api/sessions/${idle}/challenge`)).status, 410);

    // results stay queryable for 3 days after the verification (media for the plan's 24 h), then the token is invalid
    advance(22 * 3600_000); // 24 h after the capture
    const media = (await call('result/media/query', { verify_token: vt })).json.result;
    assert.deepEqual(media.images, [], 'media retention (24 h) is over');
    assert.equal((await call('result/simple', { verify_token: vt })).json.code, 222301);
    advance(48 * 3600_000 - 1000);
    assert.equal((await call('result/detail', { verify_token: vt })).json.success, true);
    advance(1000);
    for (const path of ['result/simple', 'result/detail', 'result/stat', 'result/media/query', 'result/getall']) {
      const gone = await call(path, { verify_token: vt });
      assert.equal(gone.json.code, 282808, path);
      assert.equal(gone.json.message, 'Token无效或者已过期', path);
    }
    clock = saved;
  });

  test('an app configured for unmasked identities; the logs never hold ID numbers, names, images or tokens', async () => {
    const p = await plan({ name: 'unmasked', compareSource: 'uploaded', identityInput: 'preset' });
    const vt = await prepared(p);
    assert.equal((await capture(vt, 'alice')).outcome, 'passed');
    const masked = (await call('result/detail', { verify_token: vt })).json.result.idcard_confirm;
    assert.deepEqual(masked, { name: '张*', idcard_number: '110***********4514' });
    await core.repos.settings.set(UNMASKED_APPS_SETTING, ['shop']);
    const clear = (await call('result/detail', { verify_token: vt })).json.result.idcard_confirm;
    assert.deepEqual(clear, { name: NAME, idcard_number: ID_NO });
    const all = (await call('result/getall', { verify_token: vt })).json.result.verify_result[0].idcard_confirm;
    assert.deepEqual(all, { name: NAME, idcard_number: ID_NO, idcard_type: '0' });
    // the other app is not configured: still masked for it (and it cannot see this session anyway)
    await core.repos.settings.set(UNMASKED_APPS_SETTING, [other.appId]);
    assert.deepEqual((await call('result/detail', { verify_token: vt })).json.result.idcard_confirm, masked);
    await core.repos.settings.set(UNMASKED_APPS_SETTING, []);

    const text = logs.join('');
    assert.ok(logs.length > 50, 'requests were logged');
    assert.ok(text.includes('"url":"/rpc/2.0/brain/solution/faceprint/result/detail?access_token=%5Bredacted%5D"'));
    for (const secret of [
      ID_NO,
      '1101011990',
      NAME,
      accessToken,
      otherToken,
      vt,
      key.accessKeySecret,
      b64('alice:ref'),
    ])
      assert.ok(!text.includes(secret), `the logs contain ${secret.slice(0, 12)}…`);
  });
});
