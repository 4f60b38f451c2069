/**
 * The Cloudauth (2019-03-07) endpoint called by the official Alibaba Cloud SDK over a real port, in both signature
 * versions (ACS3-HMAC-SHA256, the SDK default, and RPC v1 HMAC-SHA1 with signatureAlgorithm "v2"), with the real
 * face engine on faces cut out of an npm package's group photo. Tampered and replayed requests go over raw HTTP.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import cloudauth, {
  CompareFaceVerifyRequest,
  DeleteFaceVerifyResultRequest,
  DescribeFaceVerifyRequest,
  InitFaceVerifyRequest,
  LivenessFaceVerifyRequest,
} from '@alicloud/cloudauth20190307';
import { Config } from '@alicloud/openapi-client';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { openCore, type Core } from '../../core.js';
import { createFaceEngine } from '../../engine/index.js';
import { loadEngineInBackground, type LoadingEngine } from '../../verify/engine-holder.js';
import { createFaceService } from '../../verify/face-service.js';
import { createPlanService } from '../../verify/plans.js';
import { createTransactor } from '../../store/repos/index.js';
import { createEngineFrameAnalyser } from '../../verify/engine-frame-analyser.js';
import { livenessChallenges } from '../../verify/liveness-challenges.js';
import { createSessionService } from '../../verify/sessions.js';
import { acs3Signature, rpcSignature, sha256Hex } from './signature.js';

const Client = cloudauth.default;
type CloudauthClient = InstanceType<typeof Client>;

const demo = (n: number) =>
  readFileSync(new URL(`../../../node_modules/@vladmandic/face-api/demo/sample${n}.jpg`, import.meta.url));

interface SdkError {
  code?: string;
  statusCode?: number;
  data?: Record<string, unknown>;
}

function aliyunTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

describe('Aliyun Cloudauth endpoint with the official SDK', () => {
  let app: FastifyInstance;
  let core: Core;
  let engine: LoadingEngine;
  let cleanup: () => Promise<void>;
  let port: number;
  let key: { accessKeyId: string; accessKeySecret: string; appId: string };
  let sceneId: number;
  let otherAppSceneId: number;
  let otherKey: { accessKeyId: string; accessKeySecret: string };
  const faces: string[] = [];

  const client = (
    mode: 'acs3' | 'rpc',
    creds: { accessKeyId: string; accessKeySecret: string } = key,
    path = '',
  ): CloudauthClient =>
    new Client(
      new Config({
        accessKeyId: creds.accessKeyId,
        accessKeySecret: creds.accessKeySecret,
        endpoint: `127.0.0.1:${port}${path}`,
        protocol: 'HTTP',
        ...(mode === 'rpc' ? { signatureAlgorithm: 'v2' } : {}),
      }) as ConstructorParameters<typeof Client>[0],
    );

  /** A signed RPC v1 request built by hand (the SDK tests below show this signer matches the SDK's). */
  function rpcParams(
    extra: Record<string, string>,
    opts: { timestamp?: Date; nonce?: string; method?: string; pictures?: boolean } = {},
  ) {
    const params: Record<string, string> = {
      Action: 'CompareFaceVerify',
      Version: '2019-03-07',
      Format: 'json',
      AccessKeyId: key.accessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: opts.nonce ?? `n-${Math.random().toString(36).slice(2)}`,
      Timestamp: aliyunTimestamp(opts.timestamp ?? new Date()),
      SceneId: String(sceneId),
      SourceFaceContrastPicture: faces[0]!,
      TargetFaceContrastPicture: faces[0]!,
      ...extra,
    };
    if (opts.pictures === false) {
      delete params.SourceFaceContrastPicture;
      delete params.TargetFaceContrastPicture;
    }
    params.Signature = rpcSignature(key.accessKeySecret, opts.method ?? 'POST', params);
    return params;
  }
  const postForm = (params: Record<string, string>, path = '/') =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });

  /** A raw ACS3-HMAC-SHA256 request (headers signed with the module's signer); `body` may differ from `signedBody`. */
  function acs3Request(
    signedBody: string,
    opts: { body?: string; nonce?: string; signed?: string[] } = {},
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const headers: Record<string, string> = {
      host: `127.0.0.1:${port}`,
      'content-type': 'application/x-www-form-urlencoded',
      'x-acs-action': 'CompareFaceVerify',
      'x-acs-version': '2019-03-07',
      'x-acs-date': aliyunTimestamp(new Date()),
      'x-acs-signature-nonce': opts.nonce ?? `n-${Math.random().toString(36).slice(2)}`,
      'x-acs-content-sha256': sha256Hex(signedBody),
    };
    const signedHeaders = opts.signed ?? Object.keys(headers).sort();
    const signature = acs3Signature(key.accessKeySecret, {
      method: 'POST',
      path: '/',
      query: {},
      headers,
      signedHeaders,
      payloadHash: headers['x-acs-content-sha256']!,
    });
    headers.authorization = `ACS3-HMAC-SHA256 Credential=${key.accessKeyId},SignedHeaders=${signedHeaders.join(';')},Signature=${signature}`;
    const body = opts.body ?? signedBody;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/', method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  before(async () => {
    const b = await BACKENDS[0]!.setup();
    cleanup = b.cleanup;
    core = await openCore(testConfig({ ...b.env, SHIREN_BODY_LIMIT: String(16 * 1024 * 1024) }));
    key = await core.accessKeys.create({ app: 'tenant-a', actor: 'test' });
    const other = await core.accessKeys.create({ app: 'tenant-b', actor: 'test' });
    otherKey = other;
    engine = loadEngineInBackground(true, createFaceEngine, { workers: 1 }, (err) => {
      throw err;
    });
    await engine.loaded;
    const faceService = createFaceService({ engines: engine });
    const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
    sceneId = (await plans.create(key.appId, { name: 'compare', threshold: { far: '1e-4' } }, 'test')).plan.id;
    otherAppSceneId = (await plans.create(other.appId, { name: 'theirs' }, 'test')).plan.id;
    const sessions = createSessionService({
      repos: core.repos,
      transaction: createTransactor(core.store.db),
      blobs: core.blobs,
      keyring: core.keyring,
      faces: faceService,
      analyser: createEngineFrameAnalyser(faceService),
      challenges: livenessChallenges,
      publicUrl: core.config.publicUrl,
      limits: { ...core.config.sessions, maxImageBytes: core.config.engine.maxImageBytes },
      ensureApp: (name) => core.accessKeys.ensureApp(name),
    });
    app = await buildApp({
      core,
      logger: false,
      aliyun: {
        keys: core.accessKeys,
        nonces: core.repos.nonces,
        windowSeconds: core.config.signatureWindowSeconds,
        faces: faceService,
        plans,
        sessions,
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
    // Three faces cut out of the group photo sample1.jpg, with margin, as base64 JPEGs.
    const photo = demo(1);
    const det = await faceService.detect(demo(1)); // a copy: the engine transfers its input to the worker
    for (const f of det.faces.slice(0, 3)) {
      const m = Math.max(f.box.width, f.box.height);
      const left = Math.max(0, Math.round(f.box.x - m * 0.6));
      const top = Math.max(0, Math.round(f.box.y - m * 0.6));
      const width = Math.min(det.image.width - left, Math.round(f.box.width + m * 1.2));
      const height = Math.min(det.image.height - top, Math.round(f.box.height + m * 1.2));
      const jpeg = await sharp(photo).extract({ left, top, width, height }).jpeg({ quality: 92 }).toBuffer();
      faces.push(jpeg.toString('base64'));
    }
    assert.equal(faces.length, 3);
  });
  after(async () => {
    await app?.close();
    await engine?.close();
    await core?.close();
    await cleanup?.();
  });

  for (const mode of ['acs3', 'rpc'] as const) {
    test(`CompareFaceVerify (${mode}): same face rotated 90° → Passed T, two people → F`, async () => {
      const rotated = (await sharp(Buffer.from(faces[0]!, 'base64')).rotate(90).jpeg().toBuffer()).toString('base64');
      const same = await client(mode).compareFaceVerify(
        new CompareFaceVerifyRequest({
          sceneId,
          // characters the two canonical forms encode differently: space, +, *, ~, !, ', (, ), non-ASCII
          outerOrderNo: "订单 a+b*c~d!e'f(g)",
          productCode: 'PV_FC',
          sourceFaceContrastPicture: faces[0],
          targetFaceContrastPicture: rotated,
        }),
      );
      assert.equal(same.statusCode, 200);
      assert.equal(same.body?.code, '200');
      assert.equal(same.body?.message, 'success');
      assert.equal(same.body?.requestId, same.headers?.['x-request-id']);
      assert.equal(same.body?.resultObject?.passed, 'T');
      assert.ok((same.body?.resultObject?.verifyScore ?? 0) >= 70, `score ${same.body?.resultObject?.verifyScore}`);
      assert.match(same.body?.resultObject?.certifyId ?? '', /^[0-9a-f]{32}$/);

      const diff = await client(mode).compareFaceVerify(
        new CompareFaceVerifyRequest({
          sceneId,
          sourceFaceContrastPicture: faces[0],
          targetFaceContrastPicture: faces[1],
        }),
      );
      assert.equal(diff.body?.code, '200');
      assert.equal(diff.body?.resultObject?.passed, 'F');
      assert.ok((diff.body?.resultObject?.verifyScore ?? 100) < 70);
    });

    test(`LivenessFaceVerify (${mode}): a face photo gets a decision with MaterialInfo`, async () => {
      const res = await client(mode).livenessFaceVerify(
        new LivenessFaceVerifyRequest({ sceneId, faceContrastPicture: faces[0] }),
      );
      assert.equal(res.body?.code, '200', JSON.stringify(res.body));
      const r = res.body?.resultObject;
      assert.ok(r?.passed === 'T' || r?.passed === 'F');
      assert.equal(r?.subCode, r?.passed === 'T' ? '200' : '205');
      const material = JSON.parse(r?.materialInfo ?? '{}') as {
        faceAttack: string;
        facialPictureFront: { livenessScore: number; livenessThreshold: number };
      };
      assert.equal(material.faceAttack, r?.passed === 'T' ? 'F' : 'T');
      assert.equal(
        material.facialPictureFront.livenessScore >= material.facialPictureFront.livenessThreshold,
        r?.passed === 'T',
      );
    });

    test(`signature failures (${mode}): wrong secret, unknown key, disabled key`, async () => {
      const req = () =>
        new CompareFaceVerifyRequest({
          sceneId,
          sourceFaceContrastPicture: faces[0],
          targetFaceContrastPicture: faces[1],
        });
      await assert.rejects(
        client(mode, { accessKeyId: key.accessKeyId, accessKeySecret: 'x'.repeat(40) }).compareFaceVerify(req()),
        (e: SdkError) => e.code === 'SignatureDoesNotMatch' && e.statusCode === 400,
      );
      await assert.rejects(
        client(mode, { accessKeyId: 'SRNOSUCHKEY', accessKeySecret: 'x' }).compareFaceVerify(req()),
        (e: SdkError) => e.code === 'InvalidAccessKeyId.NotFound' && e.statusCode === 404,
      );
      const disabled = await core.accessKeys.create({ app: 'tenant-a', actor: 'test' });
      await core.accessKeys.disable(disabled.accessKeyId, 'test');
      await assert.rejects(
        client(mode, disabled).compareFaceVerify(req()),
        (e: SdkError) =>
          e.code === 'InvalidAccessKeyId.Inactive' && e.statusCode === 400 && typeof e.data?.RequestId === 'string',
      );
    });
  }

  test('result codes: no picture → 400, two input modes → 420, URL → 410, unknown or foreign SceneId → 404, not an image → 419', async () => {
    const c = client('acs3');
    const code = async (r: Partial<CompareFaceVerifyRequest>) =>
      (await c.compareFaceVerify(new CompareFaceVerifyRequest({ sceneId, ...r }))).body?.code;
    assert.equal(await code({ targetFaceContrastPicture: faces[0] }), '400');
    assert.equal(
      await code({
        sourceFaceContrastPicture: faces[0],
        sourceFaceContrastPictureUrl: 'https://example.com/a.jpg',
        targetFaceContrastPicture: faces[0],
      }),
      '420',
    );
    assert.equal(
      await code({ sourceFaceContrastPictureUrl: 'https://example.com/a.jpg', targetFaceContrastPicture: faces[0] }),
      '410',
    );
    assert.equal(
      await code({ sceneId: 999999, sourceFaceContrastPicture: faces[0], targetFaceContrastPicture: faces[0] }),
      '404',
    );
    assert.equal(
      await code({
        sceneId: otherAppSceneId,
        sourceFaceContrastPicture: faces[0],
        targetFaceContrastPicture: faces[0],
      }),
      '404',
    );
    assert.equal(
      await code({
        sourceFaceContrastPicture: Buffer.from('definitely not an image').toString('base64'),
        targetFaceContrastPicture: faces[0],
      }),
      '419',
    );
    const blank = (
      await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } })
        .jpeg()
        .toBuffer()
    ).toString('base64');
    assert.equal(await code({ sourceFaceContrastPicture: blank, targetFaceContrastPicture: faces[0] }), '419');
    const noScene = await c.livenessFaceVerify(new LivenessFaceVerifyRequest({ faceContrastPicture: faces[0] }));
    assert.equal(noScene.body?.code, '400');
  });

  for (const mode of ['acs3', 'rpc'] as const) {
    test(`InitFaceVerify → CertifyUrl of an H5 session; DescribeFaceVerify; DeleteFaceVerifyResult (${mode})`, async () => {
      const c = client(mode);
      const init = await c.initFaceVerify(
        new InitFaceVerifyRequest({ sceneId, outerOrderNo: 'order-42', productCode: 'ID_PRO', metaInfo: '{}' }),
      );
      assert.equal(init.body?.code, '200', JSON.stringify(init.body));
      const certifyId = init.body?.resultObject?.certifyId ?? '';
      assert.ok(certifyId.length >= 16);
      const url = new URL(init.body?.resultObject?.certifyUrl ?? '');
      assert.equal(url.origin, new URL(core.config.publicUrl).origin);
      assert.ok(url.href.includes(certifyId), url.href);

      const described = await c.describeFaceVerify(new DescribeFaceVerifyRequest({ sceneId, certifyId }));
      assert.equal(described.body?.code, '200');
      assert.equal(described.body?.resultObject?.passed, 'F');
      assert.equal(described.body?.resultObject?.subCode, '');
      assert.equal(JSON.parse(described.body?.resultObject?.materialInfo ?? '{}').status, 'created');
      const wrongScene = await c.describeFaceVerify(
        new DescribeFaceVerifyRequest({ sceneId: otherAppSceneId, certifyId }),
      );
      assert.equal(wrongScene.body?.code, '404');

      // another app's session is invisible to it and cannot be deleted by it
      const theirs = await client(mode, otherKey).describeFaceVerify(new DescribeFaceVerifyRequest({ certifyId }));
      assert.equal(theirs.body?.code, '404');
      const theirDelete = await client(mode, otherKey).deleteFaceVerifyResult(
        new DeleteFaceVerifyResultRequest({ certifyId }),
      );
      assert.equal(theirDelete.body?.resultObject?.deleteResult, 'F');

      const del = await c.deleteFaceVerifyResult(new DeleteFaceVerifyResultRequest({ certifyId }));
      assert.equal(del.body?.resultObject?.deleteResult, 'T');
      const again = await c.deleteFaceVerifyResult(new DeleteFaceVerifyResultRequest({ certifyId }));
      assert.equal(again.body?.resultObject?.deleteResult, 'F');
      const gone = await c.describeFaceVerify(new DescribeFaceVerifyRequest({ sceneId, certifyId }));
      assert.equal(gone.body?.code, '404');

      const unknownScene = await c.initFaceVerify(new InitFaceVerifyRequest({ sceneId: 999999 }));
      assert.equal(unknownScene.body?.code, '404');
    });
  }

  test('the SDK works against /aliyun/ too, and GET / without Action still answers the service index', async () => {
    const res = await postForm(rpcParams({}), '/aliyun/');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { Code: string; ResultObject: { Passed: string } };
    assert.equal(body.Code, '200');
    assert.equal(body.ResultObject.Passed, 'T');
    const index = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(index.status, 200);
    assert.equal(((await index.json()) as { name: string }).name, 'shiren');
    // GET with the Action in the query reaches the endpoint at / (no pictures: they do not fit in a URL)
    const get = await fetch(
      `http://127.0.0.1:${port}/?${new URLSearchParams(rpcParams({}, { method: 'GET', pictures: false }))}`,
    );
    assert.equal(get.status, 200);
    assert.equal(((await get.json()) as { Code: string }).Code, '400');
    // signed for POST, sent as GET: the method is part of the signature
    const wrong = await fetch(`http://127.0.0.1:${port}/?${new URLSearchParams(rpcParams({}, { pictures: false }))}`);
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { Code: string }).Code, 'SignatureDoesNotMatch');
  });

  test('raw ACS3: a valid request passes; tampered body, unsigned x-acs-action, replayed nonce are refused', async () => {
    const form = (target: string) =>
      new URLSearchParams({
        SceneId: String(sceneId),
        SourceFaceContrastPicture: faces[0]!,
        TargetFaceContrastPicture: target,
      }).toString();
    const ok = await acs3Request(form(faces[0]!), { nonce: 'acs3-nonce-1' });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal((ok.json.ResultObject as { Passed: string }).Passed, 'T');
    const replay = await acs3Request(form(faces[0]!), { nonce: 'acs3-nonce-1' });
    assert.equal(replay.json.Code, 'SignatureNonceUsed');
    const tampered = await acs3Request(form(faces[0]!), { body: form(faces[1]!) });
    assert.equal(tampered.status, 400);
    assert.equal(tampered.json.Code, 'SignatureDoesNotMatch');
    const unsigned = await acs3Request(form(faces[0]!), {
      signed: ['content-type', 'host', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'],
    });
    assert.equal(unsigned.status, 400);
    assert.equal(unsigned.json.Code, 'SignatureDoesNotMatch');
    assert.match(String(unsigned.json.Message), /must be signed: x-acs-action/);
  });

  test('raw HTTP: tampered parameter, replayed nonce, stale timestamp, missing and unknown Action/Version', async () => {
    const params = rpcParams({});
    const ok = await postForm(params);
    assert.equal(ok.status, 200);
    const replay = await postForm(params);
    assert.equal(replay.status, 400);
    const rb = (await replay.json()) as Record<string, string>;
    assert.equal(rb.Code, 'SignatureNonceUsed');
    assert.equal(rb.RequestId, replay.headers.get('x-request-id'));

    const tampered = { ...rpcParams({}), TargetFaceContrastPicture: faces[1]! };
    const t = await postForm(tampered);
    assert.equal(t.status, 400);
    assert.equal(((await t.json()) as { Code: string }).Code, 'SignatureDoesNotMatch');

    const stale = await postForm(rpcParams({}, { timestamp: new Date(Date.now() - 16 * 60_000) }));
    assert.equal(stale.status, 400);
    assert.equal(((await stale.json()) as { Code: string }).Code, 'InvalidTimeStamp.Expired');
    const future = await postForm(rpcParams({}, { timestamp: new Date(Date.now() + 16 * 60_000) }));
    assert.equal(((await future.json()) as { Code: string }).Code, 'InvalidTimeStamp.Expired');

    const noSig = { ...rpcParams({}) };
    delete noSig.Signature;
    const ns = await postForm(noSig);
    assert.equal(ns.status, 400);
    assert.equal(((await ns.json()) as { Code: string }).Code, 'MissingParameter');

    const noAction = await postForm({ Version: '2019-03-07' });
    assert.equal(noAction.status, 400);
    assert.equal(((await noAction.json()) as { Code: string }).Code, 'MissingParameter');
    const badVersion = await postForm(rpcParams({ Version: '2017-11-17' }));
    assert.equal(((await badVersion.json()) as { Code: string }).Code, 'InvalidVersion');
    const unknown = await postForm(rpcParams({ Action: 'ContrastFaceVerify' }));
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { Code: string }).Code, 'InvalidAction.NotFound');
  });
});
