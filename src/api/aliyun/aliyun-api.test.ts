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
  AIGCFaceVerifyRequest,
  CompareFaceVerifyRequest,
  ContrastFaceVerifyRequest,
  DeepfakeDetectRequest,
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
import { createImageSources, type ImageSources } from '../../verify/image-source.js';
import { createSessionService } from '../../verify/sessions.js';
import { sessionRoutes } from '../native/session-routes.js';
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
  let h5SceneId: number;
  let actionSceneId: number;
  let images: ImageSources;
  let picServer: http.Server;
  let picPort: number;
  /** What the registry stub answers for ContrastFaceVerify (the registry itself is tested in src/verify/identity). */
  const registryPhotos = new Map<string, { name: string; photo?: Buffer }>();
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
        // The SDK's default 3 s read timeout is shorter than an engine call on a busy 2-core machine.
        readTimeout: 60_000,
        connectTimeout: 10_000,
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
    // Several H5 attempts fail on purpose from 127.0.0.1: lift the per-address failure limit.
    core = await openCore(
      testConfig({ ...b.env, SHIREN_BODY_LIMIT: String(16 * 1024 * 1024), SHIREN_IP_FAILURE_LIMIT: '100' }),
    );
    key = await core.accessKeys.create({ app: 'tenant-a', actor: 'test' });
    const other = await core.accessKeys.create({ app: 'tenant-b', actor: 'test' });
    otherKey = other;
    engine = loadEngineInBackground(true, createFaceEngine, { workers: 1, timeoutMs: 120_000 }, (err) => {
      throw err;
    });
    await engine.loaded;
    const faceService = createFaceService({ engines: engine });
    const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
    sceneId = (await plans.create(key.appId, { name: 'compare', threshold: { far: '1e-4' } }, 'test')).plan.id;
    otherAppSceneId = (await plans.create(other.appId, { name: 'theirs' }, 'test')).plan.id;
    h5SceneId = (
      await plans.create(
        key.appId,
        { name: 'h5 compare', livenessMode: 'none', compareSource: 'uploaded', threshold: { far: '1e-4' } },
        'test',
      )
    ).plan.id;
    actionSceneId = (
      await plans.create(key.appId, { name: 'h5 action', livenessMode: 'action', actionCount: 1 }, 'test')
    ).plan.id;
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
    // A picture server on loopback: reachable only because the test allows private addresses for 127.0.0.1.
    picServer = http.createServer((req, res) => {
      const m = /^\/face(\d)\.jpg$/.exec(req.url ?? '');
      if (m && faces[Number(m[1])]) return res.writeHead(200).end(Buffer.from(faces[Number(m[1])]!, 'base64'));
      if (req.url === '/hop') return res.writeHead(302, { location: '/face0.jpg' }).end();
      if (req.url === '/to-metadata') return res.writeHead(302, { location: 'http://169.254.169.254/x.jpg' }).end();
      if (req.url === '/big') return res.writeHead(200).end(Buffer.alloc(6 * 1024 * 1024, 1));
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => picServer.listen(0, '127.0.0.1', resolve));
    picPort = (picServer.address() as { port: number }).port;
    images = createImageSources({
      policy: { allowHosts: ['127.0.0.1'], allowPrivate: true, timeoutMs: 5000, maxBytes: 5 * 1024 * 1024 },
      blobs: core.blobs,
      sessionImage: (appId, token) => sessions.passedImage(appId, token),
    });
    app = await buildApp({
      core,
      logger: false,
      h5: { sessions, demo: false },
      nativeRoutes: [sessionRoutes(sessions)],
      aliyun: {
        keys: core.accessKeys,
        nonces: core.repos.nonces,
        windowSeconds: core.config.signatureWindowSeconds,
        faces: faceService,
        plans,
        sessions,
        images,
        registryPhoto: async (_appId, identity) => {
          const r = registryPhotos.get(identity.idNumber);
          if (!r) return { status: 'no_record' };
          if (r.name !== identity.name) return { status: 'name_mismatch' };
          return r.photo ? { status: 'match', photo: r.photo } : { status: 'no_photo' };
        },
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
    picServer?.close();
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

  test('result codes: no picture → 400, two input modes → 420, URL off the allow-list → 419, unknown or foreign SceneId → 404, not an image → 419', async () => {
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
      '419',
    );
    assert.equal(
      await code({
        productCode: 'NOT_A_PRODUCT',
        sourceFaceContrastPicture: faces[0],
        targetFaceContrastPicture: faces[0],
      }),
      '401',
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

  test('picture by URL: fetched under the guard; redirects re-checked; too large, missing, off-list hosts → 419', async () => {
    const c = client('acs3');
    const url = (path: string) => `http://127.0.0.1:${picPort}${path}`;
    const compare = async (r: Partial<CompareFaceVerifyRequest>) =>
      (await c.compareFaceVerify(new CompareFaceVerifyRequest({ sceneId, ...r }))).body;
    const same = await compare({
      sourceFaceContrastPictureUrl: url('/face0.jpg'),
      targetFaceContrastPicture: faces[0],
    });
    assert.equal(same?.code, '200', JSON.stringify(same));
    assert.equal(same?.resultObject?.passed, 'T');
    const other = await compare({
      sourceFaceContrastPictureUrl: url('/face1.jpg'),
      targetFaceContrastPictureUrl: url('/face0.jpg'),
    });
    assert.equal(other?.resultObject?.passed, 'F');
    const hop = await compare({ sourceFaceContrastPictureUrl: url('/hop'), targetFaceContrastPicture: faces[0] });
    assert.equal(hop?.resultObject?.passed, 'T');
    for (const bad of ['/big', '/missing.jpg', `http://localhost:${picPort}/face0.jpg`, 'ftp://127.0.0.1/face0.jpg']) {
      const r = await compare({
        sourceFaceContrastPictureUrl: bad.startsWith('/') ? url(bad) : bad,
        targetFaceContrastPicture: faces[0],
      });
      assert.equal(r?.code, '419', `${bad}: ${JSON.stringify(r)}`);
    }
    const live = await c.livenessFaceVerify(
      new LivenessFaceVerifyRequest({ sceneId, faceContrastPictureUrl: url('/face0.jpg'), productCode: 'LR_FR_MIN' }),
    );
    assert.equal(live.body?.code, '200', JSON.stringify(live.body));
  });

  test("picture by OSS bucket + object: the app's own object area; half a pair → 400, missing object → 419", async () => {
    await images.putObject(key.appId, 'faces-bucket', 'people/face0.jpg', Buffer.from(faces[0]!, 'base64'));
    const c = client('rpc');
    const compare = async (r: Partial<CompareFaceVerifyRequest>, who = c, scene = sceneId) =>
      (await who.compareFaceVerify(new CompareFaceVerifyRequest({ sceneId: scene, ...r }))).body;
    const same = await compare({
      sourceOssBucketName: 'faces-bucket',
      sourceOssObjectName: 'people/face0.jpg',
      targetFaceContrastPicture: faces[0],
    });
    assert.equal(same?.code, '200', JSON.stringify(same));
    assert.equal(same?.resultObject?.passed, 'T');
    const diff = await compare({
      sourceOssBucketName: 'faces-bucket',
      sourceOssObjectName: 'people/face0.jpg',
      targetFaceContrastPicture: faces[2],
    });
    assert.equal(diff?.resultObject?.passed, 'F');
    assert.equal(
      (await compare({ sourceOssBucketName: 'faces-bucket', targetFaceContrastPicture: faces[0] }))?.code,
      '400',
    );
    assert.equal(
      (
        await compare({
          sourceOssBucketName: 'faces-bucket',
          sourceOssObjectName: 'nope.jpg',
          targetFaceContrastPicture: faces[0],
        })
      )?.code,
      '419',
    );
    assert.equal(
      (
        await compare({
          sourceOssBucketName: 'faces-bucket',
          sourceOssObjectName: '../x.jpg',
          targetFaceContrastPicture: faces[0],
        })
      )?.code,
      '401',
    );
    // Another app does not see this app's objects.
    const theirs = await compare(
      {
        sourceOssBucketName: 'faces-bucket',
        sourceOssObjectName: 'people/face0.jpg',
        targetFaceContrastPicture: faces[0],
      },
      client('rpc', otherKey),
      otherAppSceneId,
    );
    assert.equal(theirs?.code, '419');
  });

  /** Runs the H5 page's calls for a session: a challenge, then frames of one face; returns the outcome. */
  async function h5Capture(token: string, face: string) {
    const base = `http://127.0.0.1:${port}/h5/api/sessions/${token}`;
    const state = await fetch(base);
    assert.equal(state.status, 200, await state.clone().text());
    const ch = await fetch(`${base}/challenge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(ch.status, 200, await ch.clone().text());
    const { challengeId } = (await ch.json()) as { challengeId: string };
    const frames = Array.from({ length: 4 }, (_, i) => ({ t: i * 150, step: 'neutral', image: face }));
    const res = await fetch(`${base}/attempts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challengeId, frames }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { outcome: string; code: string };
  }

  test('InitFaceVerify → H5 capture → DescribeFaceVerify: genuine passes (200), impostor fails (204); a passed CertifyId is a picture input', async () => {
    const c = client('acs3');
    const init = await c.initFaceVerify(
      new InitFaceVerifyRequest({
        sceneId: h5SceneId,
        outerOrderNo: 'order-h5-1',
        productCode: 'ID_PRO',
        model: 'LIVENESS',
        faceContrastPictureUrl: `http://127.0.0.1:${picPort}/face0.jpg`,
      }),
    );
    assert.equal(init.body?.code, '200', JSON.stringify(init.body));
    const genuine = init.body?.resultObject?.certifyId ?? '';
    const outcome = await h5Capture(genuine, faces[0]!);
    assert.equal(outcome.outcome, 'passed', JSON.stringify(outcome));
    const described = await c.describeFaceVerify(
      new DescribeFaceVerifyRequest({ sceneId: h5SceneId, certifyId: genuine }),
    );
    assert.equal(described.body?.resultObject?.passed, 'T');
    assert.equal(described.body?.resultObject?.subCode, '200');
    const material = JSON.parse(described.body?.resultObject?.materialInfo ?? '{}');
    assert.equal(material.status, 'passed');
    assert.equal(material.faceAttack, 'F');
    assert.ok(material.facialPictureFront.verifyScore >= 70, JSON.stringify(material));

    const impostorInit = await c.initFaceVerify(
      new InitFaceVerifyRequest({ sceneId: h5SceneId, faceContrastPicture: faces[0] }),
    );
    const impostor = impostorInit.body?.resultObject?.certifyId ?? '';
    const failed = await h5Capture(impostor, faces[1]!);
    assert.notEqual(failed.outcome, 'passed');
    // The plan allows retries; use them up so the session has a final result.
    let last = failed;
    for (let i = 0; i < 5 && last.outcome === 'retry'; i++) last = await h5Capture(impostor, faces[1]!);
    assert.equal(last.outcome, 'failed', JSON.stringify(last));
    const d2 = await c.describeFaceVerify(new DescribeFaceVerifyRequest({ certifyId: impostor }));
    assert.equal(d2.body?.resultObject?.passed, 'F');
    assert.equal(d2.body?.resultObject?.subCode, '204');
    assert.equal(JSON.parse(d2.body?.resultObject?.materialInfo ?? '{}').faceAttack, 'F', 'a mismatch is no attack');

    // The passed session's captured face as the source of a comparison; a failed one is not usable (419).
    const byId = await c.compareFaceVerify(
      new CompareFaceVerifyRequest({ sceneId, sourceCertifyId: genuine, targetFaceContrastPicture: faces[0] }),
    );
    assert.equal(byId.body?.resultObject?.passed, 'T', JSON.stringify(byId.body));
    const byFailed = await c.compareFaceVerify(
      new CompareFaceVerifyRequest({ sceneId, sourceCertifyId: impostor, targetFaceContrastPicture: faces[0] }),
    );
    assert.equal(byFailed.body?.code, '419');
    const theirs = await client('acs3', otherKey).compareFaceVerify(
      new CompareFaceVerifyRequest({
        sceneId: otherAppSceneId,
        sourceCertifyId: genuine,
        targetFaceContrastPicture: faces[0],
      }),
    );
    assert.equal(theirs.body?.code, '419');
    // A still face on an action plan fails liveness: DescribeFaceVerify reports SubCode 205 and faceAttack T.
    const actionInit = await c.initFaceVerify(new InitFaceVerifyRequest({ sceneId: actionSceneId }));
    const still = actionInit.body?.resultObject?.certifyId ?? '';
    let stillOutcome = await h5Capture(still, faces[0]!);
    for (let i = 0; i < 5 && stillOutcome.outcome === 'retry'; i++) stillOutcome = await h5Capture(still, faces[0]!);
    assert.equal(stillOutcome.outcome, 'failed', JSON.stringify(stillOutcome));
    const d3 = await c.describeFaceVerify(new DescribeFaceVerifyRequest({ certifyId: still }));
    assert.equal(d3.body?.resultObject?.subCode, '205');
    const m3 = JSON.parse(d3.body?.resultObject?.materialInfo ?? '{}');
    assert.match(m3.code, /^liveness_/);
    assert.equal(m3.faceAttack, 'T');

    const badModel = await c.initFaceVerify(new InitFaceVerifyRequest({ sceneId: h5SceneId, model: 'SMILE' }));
    assert.equal(badModel.body?.code, '401');

    // OuterOrderNo is stored with the session and found through the native API.
    const auth = { authorization: `Bearer ${key.accessKeyId}:${key.accessKeySecret}` };
    const found = await fetch(`http://127.0.0.1:${port}/v1/sessions?outerOrderNo=order-h5-1`, { headers: auth });
    assert.equal(found.status, 200, await found.clone().text());
    const list = ((await found.json()) as { sessions: { token: string; status: string; outerOrderNo: string }[] })
      .sessions;
    assert.deepEqual(
      list.map((x) => [x.token, x.status, x.outerOrderNo]),
      [[genuine, 'passed', 'order-h5-1']],
    );
    const failedOnes = await fetch(`http://127.0.0.1:${port}/v1/sessions?status=failed&planId=${h5SceneId}`, {
      headers: auth,
    });
    assert.ok(
      ((await failedOnes.json()) as { sessions: { token: string }[] }).sessions.some((x) => x.token === impostor),
    );
    const theirList = await fetch(`http://127.0.0.1:${port}/v1/sessions?outerOrderNo=order-h5-1`, {
      headers: { authorization: `Bearer ${otherKey.accessKeyId}:${otherKey.accessKeySecret}` },
    });
    assert.deepEqual(((await theirList.json()) as { sessions: unknown[] }).sessions, []);
  });

  for (const mode of ['acs3', 'rpc'] as const) {
    test(`ContrastFaceVerify (${mode}): photo against the registry photo of CertName + CertNo, SubCodes 200/201/202/203/204`, async () => {
      registryPhotos.set('11010519491231002X', { name: '张三', photo: Buffer.from(faces[0]!, 'base64') });
      registryPhotos.set('110101199003074514', { name: '李四' });
      const c = client(mode);
      const contrast = async (r: Partial<ContrastFaceVerifyRequest>) =>
        (
          await c.contrastFaceVerify(
            new ContrastFaceVerifyRequest({ sceneId, productCode: 'ID_MIN', certType: 'IDENTITY_CARD', ...r }),
          )
        ).body;
      const zhang = { certName: '张三', certNo: '11010519491231002X' };
      const ok = await contrast({ ...zhang, faceContrastPicture: faces[0] });
      assert.equal(ok?.code, '200', JSON.stringify(ok));
      assert.equal(ok?.resultObject?.passed, 'T');
      assert.equal(ok?.resultObject?.subCode, '200');
      assert.ok(JSON.parse(ok?.resultObject?.materialInfo ?? '{}').facialPictureFront.verifyScore >= 70);
      const wrongFace = await contrast({ ...zhang, faceContrastPicture: faces[1] });
      assert.deepEqual([wrongFace?.resultObject?.passed, wrongFace?.resultObject?.subCode], ['F', '204']);
      const wrongName = await contrast({ certName: '王五', certNo: zhang.certNo, faceContrastPicture: faces[0] });
      assert.equal(wrongName?.resultObject?.subCode, '201');
      const unknown = await contrast({ certName: '赵六', certNo: '110101200001010010', faceContrastPicture: faces[0] });
      assert.equal(unknown?.resultObject?.subCode, '202');
      const noPhoto = await contrast({ certName: '李四', certNo: '110101199003074514', faceContrastPicture: faces[0] });
      assert.equal(noPhoto?.resultObject?.subCode, '203');
      const live = await contrast({ ...zhang, faceContrastPicture: faces[0], model: 'FRONT_CAMERA_LIVENESS' });
      const m = JSON.parse(live?.resultObject?.materialInfo ?? '{}');
      assert.equal(typeof m.facialPictureFront.livenessScore, 'number');
      assert.equal(live?.resultObject?.subCode, m.faceAttack === 'T' ? '205' : '200');
      // parameter errors
      assert.equal((await contrast({ certNo: zhang.certNo, faceContrastPicture: faces[0] }))?.code, '400');
      assert.equal(
        (await contrast({ certName: '张三', certNo: '110105194912310021', faceContrastPicture: faces[0] }))?.code,
        '401',
      );
      assert.equal((await contrast({ ...zhang, faceContrastPicture: faces[0], certType: 'PASSPORT' }))?.code, '401');
      assert.equal(
        (await contrast({ ...zhang, faceContrastPicture: faces[0], faceContrastFile: faces[0] }))?.code,
        '410',
      );
      assert.equal((await contrast({ ...zhang }))?.code, '400');
    });
  }

  test('DeepfakeDetect, AIGCFaceVerify and DescribeFaceGuardRisk answer 410: not supported by this deployment', async () => {
    const c = client('acs3');
    const deepfake = await c.deepfakeDetect(new DeepfakeDetectRequest({ faceBase64: faces[0], outerOrderNo: 'x' }));
    assert.equal(deepfake.body?.code, '410');
    assert.match(deepfake.body?.message ?? '', /not supported by this deployment/);
    const aigc = await c.aIGCFaceVerify(new AIGCFaceVerifyRequest({ sceneId, faceContrastPicture: faces[0] }));
    assert.equal(aigc.body?.code, '410');
  });

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
    const unknown = await postForm(rpcParams({ Action: 'VerifyMaterial' }));
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { Code: string }).Code, 'InvalidAction.NotFound');
  });
});
