/**
 * Volcengine VerifyPro (cv 2022-08-31) over a real port, signed by the official SDK (@volcengine/openapi: its
 * `Service` client for the flows, its `Signer` for raw requests whose HTTP status and headers are checked), with the
 * real face engine. The capture is driven through the H5 API the way the page does it (challenge, then 4 JPEG
 * frames) on a plan with liveness mode none, so the 1:1 comparison with the CertToken ref_image decides: frames of
 * the reference person pass, frames of another person fail with algorithm_base_resp 210311.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import querystring from 'node:querystring';
import { after, before, describe, test } from 'node:test';
import { Service, Signer } from '@volcengine/openapi';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { aliyunRewrite } from '../aliyun/index.js';
import { volcengineRewrite } from './index.js';
import { openCore, type Core } from '../../core.js';
import { createFaceEngine } from '../../engine/index.js';
import { createTransactor } from '../../store/repos/index.js';
import { createAttemptReceipts } from '../../verify/attempt-receipt.js';
import { createEngineFrameAnalyser } from '../../verify/engine-frame-analyser.js';
import { loadEngineInBackground, type LoadingEngine } from '../../verify/engine-holder.js';
import { createFaceService } from '../../verify/face-service.js';
import { livenessChallenges } from '../../verify/liveness-challenges.js';
import { createPlanService } from '../../verify/plans.js';
import { createRegistryService, type RegistryService } from '../../verify/identity/registry.js';
import { createSessionService, type SessionServiceDeps } from '../../verify/sessions.js';

const VERSION = '2022-08-31';
const demo = (n: number) =>
  readFileSync(new URL(`../../../node_modules/@vladmandic/face-api/demo/sample${n}.jpg`, import.meta.url));

interface Creds {
  accessKeyId: string;
  accessKeySecret: string;
}
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('Volcengine VerifyPro endpoint signed with the official SDK', () => {
  let app: FastifyInstance;
  let core: Core;
  let engine: LoadingEngine;
  let cleanup: () => Promise<void>;
  let port: number;
  let key: Creds & { appId: string };
  let planId: number;
  let registryPlanId: number;
  let registry: RegistryService;
  let sessionDeps: SessionServiceDeps;
  const faces: Buffer[] = [];

  const service = (creds: Creds = key, sessionToken?: string) =>
    new Service({
      host: `127.0.0.1:${port}`,
      protocol: 'http:',
      region: 'cn-north-1',
      serviceName: 'cv',
      accessKeyId: creds.accessKeyId,
      secretKey: creds.accessKeySecret,
      ...(sessionToken ? { sessionToken } : {}),
      defaultVersion: VERSION,
    });
  const api = (action: string, creds?: Creds, sessionToken?: string) =>
    service(creds, sessionToken).createJSONAPI(action, { Version: VERSION }) as (body: Json) => Promise<Json>;

  /** A request signed by the SDK's Signer and sent with fetch, so status and headers can be checked; `send` may differ. */
  async function signed(
    action: string,
    body: Json,
    opts: { creds?: Creds; date?: Date; send?: string; path?: string; service?: string } = {},
  ): Promise<{ status: number; json: Json; headers: Headers }> {
    const creds = opts.creds ?? key;
    const text = JSON.stringify(body);
    const req = {
      region: 'cn-north-1',
      method: 'POST',
      pathname: opts.path ?? '/',
      params: { Action: action, Version: VERSION },
      headers: { 'content-type': 'application/json; charset=utf-8' } as Record<string, string>,
      body: text,
    };
    new Signer(req, opts.service ?? 'cv').addAuthorization(
      { accessKeyId: creds.accessKeyId, secretKey: creds.accessKeySecret },
      opts.date,
    );
    const res = await fetch(`http://127.0.0.1:${port}${req.pathname}?Action=${action}&Version=${VERSION}`, {
      method: 'POST',
      headers: req.headers,
      body: opts.send ?? text,
    });
    return { status: res.status, json: (await res.json()) as Json, headers: res.headers };
  }

  /** The page's part: a challenge, then 4 frames of `face` (slightly varied re-encodings); returns the answer. */
  async function capture(token: string, face: Buffer): Promise<Json> {
    const base = `http://127.0.0.1:${port}/h5/api/sessions/${token}`;
    const ch = await fetch(`${base}/challenge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(ch.status, 200, await ch.clone().text());
    const spec = (await ch.json()) as { challengeId: string; mode: string };
    assert.equal(spec.mode, 'none');
    const frames = [];
    for (let i = 0; i < 4; i++) {
      const jpeg = await sharp(face)
        .resize({ width: 360 + i * 8 })
        .modulate({ brightness: 0.96 + i * 0.03 })
        .jpeg({ quality: 90 })
        .toBuffer();
      frames.push({ t: i * 60, step: 'neutral', image: jpeg.toString('base64') });
    }
    const res = await fetch(`${base}/attempts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challengeId: spec.challengeId, frames }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as Json;
  }

  async function certToken(ref: Buffer = faces[0]!): Promise<string> {
    const r = await api('CertToken')({
      req_key: 'cert_pro_token',
      plan_id: planId,
      ref_source: '0',
      ref_image: ref.toString('base64'),
      liveness_type: 'motion',
    });
    assert.equal(r.code, 10000, JSON.stringify(r));
    assert.match(r.data.byted_token, /^[A-Za-z0-9]{24}$/);
    assert.ok(String(r.data.h5_url).endsWith(`/h5/?token=${r.data.byted_token}`));
    return r.data.byted_token as string;
  }

  before(async () => {
    const b = await BACKENDS[0]!.setup();
    cleanup = b.cleanup;
    core = await openCore(testConfig({ ...b.env, SHIREN_BODY_LIMIT: String(16 * 1024 * 1024) }));
    key = await core.accessKeys.create({ app: 'tenant-v', actor: 'test' });
    engine = loadEngineInBackground(true, createFaceEngine, { workers: 1, timeoutMs: 120_000 }, (err) => {
      throw err;
    });
    await engine.loaded;
    const faceService = createFaceService({ engines: engine });
    const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
    planId = (
      await plans.create(
        key.appId,
        { name: 'no-src', livenessMode: 'none', compareSource: 'uploaded', threshold: { far: '1e-4' } },
        'test',
      )
    ).plan.id;
    registryPlanId = (
      await plans.create(
        key.appId,
        { name: 'src', livenessMode: 'none', compareSource: 'registry', identityInput: 'preset' },
        'test',
      )
    ).plan.id;
    registry = createRegistryService({
      repo: core.repos.registry,
      keyring: core.keyring,
      blobs: core.blobs,
      maxPhotoBytes: core.config.engine.maxImageBytes,
    });
    sessionDeps = {
      repos: core.repos,
      transaction: createTransactor(core.store.db),
      blobs: core.blobs,
      keyring: core.keyring,
      faces: faceService,
      analyser: createEngineFrameAnalyser(faceService),
      challenges: livenessChallenges,
      publicUrl: core.config.publicUrl,
      limits: { ...core.config.sessions, maxImageBytes: core.config.engine.maxImageBytes },
      registryPhotoKey: (appId, identity) => registry.photoKey(appId, identity),
    };
    const sessions = createSessionService(sessionDeps);
    const volcengine = {
      keys: core.accessKeys,
      windowSeconds: core.config.signatureWindowSeconds,
      faces: faceService,
      plans,
      sessions,
      receipts: createAttemptReceipts(core.keyring),
    };
    app = await buildApp({
      core,
      logger: false,
      h5: { sessions, demo: false },
      volcengine,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
    // Faces cut out of the group photo sample1.jpg, with margin, as JPEGs.
    const photo = demo(1);
    const det = await faceService.detect(photo);
    for (const f of det.faces.slice(0, 2)) {
      const m = Math.max(f.box.width, f.box.height);
      const left = Math.max(0, Math.round(f.box.x - m * 0.6));
      const top = Math.max(0, Math.round(f.box.y - m * 0.6));
      const width = Math.min(det.image.width - left, Math.round(f.box.width + m * 1.2));
      const height = Math.min(det.image.height - top, Math.round(f.box.height + m * 1.2));
      faces.push(await sharp(photo).extract({ left, top, width, height }).jpeg({ quality: 92 }).toBuffer());
    }
    assert.equal(faces.length, 2);
  });
  after(async () => {
    await app?.close();
    await engine?.close();
    await core?.close();
    await cleanup?.();
  });

  test('genuine capture: CertToken → H5 attempt → CertVerify (SDK Service client) passes with the full data', async (t) => {
    const token = await certToken();
    const answer = await capture(token, faces[0]!);
    assert.equal(answer.outcome, 'passed', JSON.stringify(answer));
    assert.match(answer.receipt, /^sr1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);

    const r = await api(
      'CertVerify',
      key,
      'sts-session-token',
    )({
      req_key: 'cert_pro_no_src_verify',
      byted_token: token,
      sdk_data: answer.receipt,
      risk_info: '{"device":"test"}',
    });
    assert.equal(r.code, 10000, JSON.stringify(r).slice(0, 500));
    assert.equal(r.message, 'Success');
    assert.match(r.request_id, /^[0-9a-f-]{36}$/);
    assert.match(r.time_elapsed, /^\d+\.\d{3}ms$/);
    const d = r.data;
    assert.equal(d.result, true);
    assert.deepEqual(JSON.parse(d.risk_result), { score: 0, tags: [] });
    for (const k of ['image_best', 'image_env']) {
      const jpeg = Buffer.from(d.images[k], 'base64');
      assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff], `${k} is a JPEG`);
    }
    const c = d.source_comp_details;
    assert.ok(c.score >= 70, `score ${c.score}`);
    t.diagnostic(`genuine score ${c.score}, image_face_detail ${c.image_face_detail}`);
    assert.deepEqual(c.thresholds, { '1e-3': 60, '1e-4': 70, '1e-5': 80, '1e-6': 90 });
    assert.equal(c.alive, true);
    const detail = JSON.parse(c.image_face_detail);
    for (const f of ['comprehensive_score', 'face_clarity', 'brightness', 'exposure', 'pose_yaw', 'have_cap'])
      assert.equal(typeof detail[f], 'number', f);
    assert.ok(detail.mouth_occlude >= 0 && detail.mouth_occlude <= 1);
    assert.equal(typeof JSON.parse(c.image_env_detail), 'object');
    assert.deepEqual(d.algorithm_base_resp, { status_code: 0, status_message: '' });
    assert.deepEqual(d.req_measure_info, { measure_type: 'query_num', value: 1 });

    // the same result at /volcengine/ (signed over that path), and the recorded result does not change
    const again = await signed(
      'CertVerify',
      { req_key: 'cert_pro_no_src_verify', byted_token: token, sdk_data: answer.receipt },
      { path: '/volcengine/' },
    );
    assert.equal(again.status, 200);
    assert.equal(again.json.data.source_comp_details.score, c.score);
    assert.equal(again.json.request_id, again.headers.get('x-request-id'));
  });

  test('impostor: another person fails with 50215 / algorithm_base_resp 210311; an earlier receipt is superseded', async (t) => {
    const token = await certToken(faces[0]!);
    const first = await capture(token, faces[1]!);
    assert.equal(first.outcome, 'retry', JSON.stringify(first));
    assert.equal(first.code, 'compare_failed');
    const second = await capture(token, faces[1]!);
    assert.equal(second.code, 'compare_failed');

    const r = await signed('CertVerify', {
      req_key: 'cert_pro_no_src_verify',
      byted_token: token,
      sdk_data: second.receipt,
      risk_info: '',
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 50215);
    assert.match(r.json.message, /^RPCProcess: 人脸图不匹配/);
    const d = r.json.data;
    assert.equal(d.result, false);
    assert.equal(d.algorithm_base_resp.status_code, 210311);
    assert.ok(d.source_comp_details.score < 70, `score ${d.source_comp_details.score}`);
    t.diagnostic(`impostor score ${d.source_comp_details.score}`);
    assert.equal(d.source_comp_details.alive, true);
    assert.ok(d.images.image_best.length > 1000);
    assert.deepEqual(d.req_measure_info, { measure_type: 'query_num', value: 1 });

    const old = await signed('CertVerify', {
      req_key: 'cert_pro_no_src_verify',
      byted_token: token,
      sdk_data: first.receipt,
    });
    assert.equal(old.status, 400);
    assert.equal(old.json.code, 50200);
    assert.match(old.json.message, /\(superseded\)$/);
  });

  test('signature failures: wrong secret, stale X-Date, unknown AK, disabled AK, changed body, wrong service', async () => {
    const body = { req_key: 'cert_pro_no_src_verify', byted_token: 'x'.repeat(24), sdk_data: 'sr1.a.b' };
    const err = (r: { json: Json }) => r.json.ResponseMetadata?.Error as { Code: string; CodeN: number };

    const wrong = await signed('CertVerify', body, { creds: { ...key, accessKeySecret: 'x'.repeat(40) } });
    assert.equal(wrong.status, 401);
    assert.deepEqual(err(wrong), { ...err(wrong), Code: 'SignatureDoesNotMatch', CodeN: 100010 });
    assert.equal(wrong.json.ResponseMetadata.Action, 'CertVerify');
    assert.equal(wrong.json.ResponseMetadata.Version, VERSION);
    assert.equal(wrong.json.ResponseMetadata.Service, 'cv');
    assert.equal(wrong.json.ResponseMetadata.Region, 'cn-north-1');
    assert.equal(wrong.json.ResponseMetadata.RequestId, wrong.headers.get('x-request-id'));

    const stale = await signed('CertVerify', body, { date: new Date(Date.now() - 20 * 60_000) });
    assert.equal(stale.status, 400);
    assert.equal(err(stale).Code, 'InvalidTimestamp');
    assert.equal(err(stale).CodeN, 100006);

    const unknown = await signed('CertVerify', body, {
      creds: { accessKeyId: 'SRNOSUCHKEY', accessKeySecret: 'x' },
    });
    assert.equal(unknown.status, 401);
    assert.equal(err(unknown).Code, 'InvalidAccessKey');

    const disabled = await core.accessKeys.create({ app: 'tenant-v', actor: 'test' });
    await core.accessKeys.disable(disabled.accessKeyId, 'test');
    const off = await signed('CertVerify', body, { creds: disabled });
    assert.equal(off.status, 403);
    assert.equal(err(off).Code, 'AccessDenied');

    const changed = await signed('CertVerify', body, { send: JSON.stringify({ ...body, req_key: 'other' }) });
    assert.equal(changed.status, 401);
    assert.equal(err(changed).Code, 'SignatureDoesNotMatch');
    assert.match(changed.json.ResponseMetadata.Error.Message, /X-Content-Sha256/);

    const otherService = await signed('CertVerify', body, { service: 'imagex' });
    assert.equal(otherService.status, 401);
    assert.equal(err(otherService).Code, 'SignatureDoesNotMatch');

    const none = await fetch(`http://127.0.0.1:${port}/?Action=CertVerify&Version=${VERSION}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as Json).ResponseMetadata.Error.Code, 'MissingAuthenticationToken');

    const badAction = await signed('CertVerifyQuery', body);
    assert.equal(badAction.status, 404);
    assert.equal(err(badAction).Code, 'InvalidActionOrVersion');
  });

  test('canonical form: special characters and repeated keys in the query, a custom header, as the SDK signs them', async () => {
    const params = {
      Action: 'CertVerify',
      Version: VERSION,
      'a b': "x*y'(z)!~-_.",
      中文: '值 +/=&',
      multi: ['z', 'a b', 'm'],
      empty: '',
    };
    const body = JSON.stringify({ req_key: 'cert_pro_no_src_verify', byted_token: 'Z'.repeat(24), sdk_data: 'x' });
    const send = async (mutate?: (url: string) => string) => {
      const req = {
        region: 'cn-shanghai',
        method: 'POST',
        pathname: '/',
        params: { ...params },
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'X-Custom-Trace': 'a    b   c',
        } as Record<string, string>,
        body,
      };
      new Signer(req, 'cv').addAuthorization({ accessKeyId: key.accessKeyId, secretKey: key.accessKeySecret });
      assert.match(req.headers.Authorization!, /SignedHeaders=x-content-sha256;x-custom-trace;x-date,/);
      // the SDK's own URL encoding (Service.fetchOpenAPI uses querystring.stringify)
      const url = `http://127.0.0.1:${port}/?${querystring.stringify(req.params)}`;
      const res = await fetch(mutate ? mutate(url) : url, { method: 'POST', headers: req.headers, body });
      return { status: res.status, json: (await res.json()) as Json };
    };
    const ok = await send();
    // signature accepted: the call gets as far as the token look-up
    assert.equal(ok.status, 400, JSON.stringify(ok.json));
    assert.equal(ok.json.code, 50200);
    assert.match(ok.json.message, /no verification session/);
    const changed = await send((u) => u.replace('multi=m', 'multi=n'));
    assert.equal(changed.status, 401);
    assert.equal(changed.json.ResponseMetadata.Error.Code, 'SignatureDoesNotMatch');
    assert.equal(changed.json.ResponseMetadata.Region, 'cn-shanghai');
  });

  test('sdk_data checks: tampered, of another token, malformed, unknown byted_token', async () => {
    const tokenA = await certToken();
    const tokenB = await certToken();
    const a = await capture(tokenA, faces[1]!); // an impostor: compare_failed
    assert.equal(a.code, 'compare_failed');
    const call = (token: string, sdkData: string) =>
      signed('CertVerify', { req_key: 'cert_pro_no_src_verify', byted_token: token, sdk_data: sdkData });

    const [prefix, payload, mac] = (a.receipt as string).split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Json;
    const asPass = Buffer.from(JSON.stringify({ ...claims, o: 'passed', c: 'ok' })).toString('base64url');
    const toB = Buffer.from(JSON.stringify({ ...claims, t: tokenB })).toString('base64url');
    for (const [token, bad] of [
      [tokenA, `${prefix}.${asPass}.${mac}`],
      [tokenB, `${prefix}.${toB}.${mac}`],
      [tokenA, `${prefix}.${payload}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`],
    ] as const) {
      const r = await call(token, bad);
      assert.equal(r.status, 400);
      assert.equal(r.json.code, 50200);
      assert.match(r.json.message, /\(tampered\)$/);
      assert.equal(r.json.data.algorithm_base_resp.status_code, 201202);
    }
    const other = await call(tokenB, a.receipt);
    assert.equal(other.json.code, 50200);
    assert.match(other.json.message, /another byted_token \(other_session\)$/);
    const junk = await call(tokenA, 'not-a-receipt');
    assert.match(junk.json.message, /\(malformed\)$/);

    // the genuine receipt still reads its own (failed) attempt
    const ok = await call(tokenA, a.receipt);
    assert.equal(ok.json.code, 50215);
    assert.equal(ok.json.data.algorithm_base_resp.status_code, 210311);

    // unknown byted_token
    const unknownToken = await call('Z'.repeat(24), a.receipt);
    assert.equal(unknownToken.status, 400);
    assert.equal(unknownToken.json.code, 50200);
    assert.match(unknownToken.json.message, /no verification session/);
  });

  test('parameters: missing or unknown req_key, req_key of the other kind, missing sdk_data, video_key', async () => {
    const token = await certToken();
    const call = (body: Json) => signed('CertVerify', { byted_token: token, sdk_data: 'sr1.a.b', ...body });
    const missing = await call({});
    assert.equal(missing.status, 400);
    assert.equal(missing.json.code, 50201);
    assert.match(missing.json.message, /req_key/);
    assert.equal(missing.json.data.algorithm_base_resp.status_code, 201201);
    const unknown = await call({ req_key: 'cert_verify_query' });
    assert.equal(unknown.json.code, 50200);
    assert.match(unknown.json.message, /req_key cert_verify_query/);
    const src = await call({ req_key: 'cert_pro_src_verify' });
    assert.equal(src.json.code, 50200);
    assert.match(src.json.message, /compares with uploaded/);
    const noSdk = await signed('CertVerify', { req_key: 'cert_pro_no_src_verify', byted_token: token });
    assert.equal(noSdk.json.code, 50201);
    assert.match(noSdk.json.message, /sdk_data/);
    const video = await signed('CertVerify', {
      req_key: 'cert_pro_no_src_verify',
      byted_token: token,
      video_key: 'k',
    });
    assert.equal(video.json.code, 50200);
    assert.match(video.json.message, /video_key/);
    // a form body (the SDK's createUrlEncodeAPI) is read the same way
    const form = (await service().createUrlEncodeAPI('CertVerify', { Version: VERSION })({
      req_key: 'cert_pro_no_src_verify',
      byted_token: token,
    })) as Json;
    assert.equal(form.code, 50201);
    assert.match(form.message, /sdk_data/);
    const notJson = await signed('CertVerify', {}, { send: '{"req_key":' });
    assert.equal(notJson.status, 400);

    const c = api('CertToken');
    const noPlan = await c({ req_key: 'cert_pro_token', ref_source: '0', ref_image: faces[0]!.toString('base64') });
    assert.equal(noPlan.code, 50201);
    assert.match(noPlan.message, /plan_id/);
    const noRef = await c({ req_key: 'cert_pro_token', plan_id: planId, ref_source: '0' });
    assert.equal(noRef.code, 50201);
    assert.match(noRef.message, /ref_image/);
    const mismatch = await c({ req_key: 'cert_pro_token', plan_id: planId, ref_source: '1' });
    assert.equal(mismatch.code, 50200);
    const noFace = await c({
      req_key: 'cert_pro_token',
      plan_id: planId,
      ref_source: '0',
      ref_image: (
        await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } })
          .jpeg()
          .toBuffer()
      ).toString('base64'),
    });
    assert.equal(noFace.code, 50215);
    assert.equal(noFace.data.algorithm_base_resp.status_code, 210305);
  });

  test('cert_pro_src_verify: registry photo of the identity; the person passes, another person fails (210311)', async (t) => {
    const identity = { name: '张三', idNumber: '11010519491231002X' };
    await registry.put(key.appId, { ...identity, photo: faces[0]! });
    const open = async () => {
      const r = await api('CertToken')({
        req_key: 'cert_pro_token',
        plan_id: registryPlanId,
        ref_source: '1',
        idcard_name: identity.name,
        idcard_no: identity.idNumber,
      });
      assert.equal(r.code, 10000, JSON.stringify(r));
      return r.data.byted_token as string;
    };
    const verify = (token: string, sdkData: string) =>
      signed('CertVerify', { req_key: 'cert_pro_src_verify', byted_token: token, sdk_data: sdkData, risk_info: '{}' });

    const genuine = await open();
    const a = await capture(genuine, faces[0]!);
    assert.equal(a.outcome, 'passed', JSON.stringify(a));
    const ok = await verify(genuine, a.receipt);
    assert.equal(ok.status, 200);
    assert.equal(ok.json.code, 10000);
    assert.equal(ok.json.data.result, true);
    assert.ok(ok.json.data.source_comp_details.score >= 70);
    // the no-source req_key does not fit a registry token
    const wrongKey = await signed('CertVerify', {
      req_key: 'cert_pro_no_src_verify',
      byted_token: genuine,
      sdk_data: a.receipt,
    });
    assert.equal(wrongKey.json.code, 50200);
    assert.match(wrongKey.json.message, /compares with registry/);

    const impostor = await open();
    const b = await capture(impostor, faces[1]!);
    assert.equal(b.code, 'compare_failed');
    const bad = await verify(impostor, b.receipt);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 50215);
    assert.equal(bad.json.data.algorithm_base_resp.status_code, 210311);
    t.diagnostic(
      `registry: genuine ${ok.json.data.source_comp_details.score}, impostor ${bad.json.data.source_comp_details.score}`,
    );

    const noId = await signed('CertToken', { req_key: 'cert_pro_token', plan_id: registryPlanId, ref_source: '1' });
    assert.equal(noId.json.code, 50201);
    assert.match(noId.json.message, /idcard_name/);
    const withImage = await signed('CertToken', {
      req_key: 'cert_pro_token',
      plan_id: registryPlanId,
      ref_source: '1',
      ...{ idcard_name: identity.name, idcard_no: identity.idNumber },
      ref_image: faces[0]!.toString('base64'),
    });
    assert.equal(withImage.json.code, 50200);
  });

  test('cert_pro_src_verify without an identity registry wired: CertToken answers 50215 / 210309 (not_supported)', async () => {
    const wired = sessionDeps.registryPhotoKey;
    delete sessionDeps.registryPhotoKey;
    try {
      const r = await signed('CertToken', {
        req_key: 'cert_pro_token',
        plan_id: registryPlanId,
        ref_source: '1',
        idcard_name: '张三',
        idcard_no: '11010519491231002X',
      });
      assert.equal(r.status, 400);
      assert.equal(r.json.code, 50215);
      assert.match(r.json.message, /registry.*\(not_supported\)$/);
      assert.equal(r.json.data.algorithm_base_resp.status_code, 210309);
    } finally {
      sessionDeps.registryPhotoKey = wired;
    }
  });

  test('routing at /: Volcengine calls are recognised, Cloudauth calls and the service index are left alone', async () => {
    const index = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(((await index.json()) as Json).name, 'shiren');
    const req = (url: string, headers: Record<string, string> = {}, method = 'POST') =>
      ({ url, method, headers }) as unknown as IncomingMessage;
    assert.equal(
      volcengineRewrite(req('/?Action=CertVerify&Version=2022-08-31')),
      '/volcengine/?Action=CertVerify&Version=2022-08-31',
    );
    assert.equal(
      volcengineRewrite(req('/?Action=CertToken&Version=2022-08-31')),
      '/volcengine/?Action=CertToken&Version=2022-08-31',
    );
    assert.equal(
      volcengineRewrite(
        req('/?Action=Other&Version=1', {
          authorization: 'HMAC-SHA256 Credential=AK/20260101/cn-north-1/cv/request, SignedHeaders=x-date, Signature=00',
        }),
      ),
      '/volcengine/?Action=Other&Version=1',
    );
    // Cloudauth: query Action with its own Version, ACS3 header, form POST without Action in the query
    assert.equal(volcengineRewrite(req('/?Action=CompareFaceVerify&Version=2019-03-07')), undefined);
    assert.equal(volcengineRewrite(req('/?Action=CertVerify&Version=2019-03-07')), undefined);
    assert.equal(
      volcengineRewrite(
        req('/', {
          authorization: 'ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host,Signature=00',
          'content-type': 'application/x-www-form-urlencoded',
        }),
      ),
      undefined,
    );
    assert.equal(aliyunRewrite(req('/', { 'content-type': 'application/x-www-form-urlencoded' })), '/aliyun/');
    assert.equal(volcengineRewrite(req('/v1/whoami?Action=CertVerify&Version=2022-08-31')), undefined);
    assert.equal(volcengineRewrite(req('/', {}, 'GET')), undefined);
  });
});
