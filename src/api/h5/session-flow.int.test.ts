/**
 * The whole session flow over HTTP (inject): native plan and session endpoints, the H5 API, callbacks to a local
 * receiver, retention and the IP failure limit. The face engine, frame analysis and challenge verifier are
 * deterministic fakes (real-engine coverage is the H5 E2E); the clock is injected.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BACKENDS, tempDir, testConfig } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { openCore, type Core } from '../../core.js';
import type { FrameFeatures } from '../../engine/types.js';
import { ShirenError } from '../../errors.js';
import { createTransactor } from '../../store/repos/index.js';
import { createCallbackSender } from '../../verify/callbacks.js';
import { createJobs, type Jobs } from '../../verify/jobs.js';
import { createPlanService } from '../../verify/plans.js';
import { createRetention } from '../../verify/retention.js';
import {
  createSessionService,
  type ChallengeVerdict,
  type FrameAnalyser,
  type LivenessChallenges,
  type SessionFaces,
} from '../../verify/sessions.js';
import { planRoutes } from '../native/plan-routes.js';
import { sessionRoutes } from '../native/session-routes.js';

// ---- fakes: a "JPEG" is FF D8 FF + a label such as "alice:3"; the person is the part before ":" ----
const jpeg = (label: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(label)]);
const labelOf = (b: Uint8Array) => Buffer.from(b.subarray(3)).toString();
const personOf = (b: Uint8Array) => labelOf(b).split(':')[0]!;
const summary = { width: 640, height: 480, rotation: 0 };
const faceSummary = {
  box: { x: 100, y: 100, width: 200, height: 200 },
  score: 0.99,
  landmarks5: [
    [150, 170],
    [250, 170],
    [200, 220],
    [160, 260],
    [240, 260],
  ] as [number, number][],
};

let engineCalls = 0;
const faces: SessionFaces = {
  async detect(input) {
    engineCalls++;
    const l = labelOf(input as Uint8Array);
    if (l.includes('noface')) return { image: summary, faceCount: 0, faces: [] } as never;
    return { image: summary, faceCount: 1, faces: [faceSummary] } as never;
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
      return {
        width: 640,
        height: 480,
        faceCount: none ? 0 : 1,
        ...(none ? {} : { face: { ...faceSummary, landmarks5: faceSummary.landmarks5 as never } }),
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

/** The verifier fails when a frame is labelled "still" (no action), else passes with frame 1 as the best. */
const verified: { frames: number; receivedAt?: Date }[] = [];
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
  verify(_spec, frames, opts): ChallengeVerdict {
    verified.push({ frames: frames.length, receivedAt: opts.receivedAt });
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
    image: jpeg(`${person}:${i}`).toString('base64'),
  }));

describe('verification sessions over HTTP', () => {
  let app: FastifyInstance;
  let core: Core;
  let jobs: Jobs;
  let cleanup: () => Promise<void>;
  let auth: string;
  let otherAuth: string;
  let clock = new Date('2026-03-01T08:00:00Z');
  const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  let receiverStatus: number[] = [];
  let receiver: http.Server;
  let callbackUrl: string;
  const dist = tempDir('shiren-h5-dist-');

  const inject = (method: string, url: string, payload?: unknown, opts: { auth?: string; ip?: string } = {}) =>
    app.inject({
      method: method as 'GET',
      url,
      remoteAddress: opts.ip ?? '198.51.100.7',
      headers: {
        ...(url.startsWith('/v1/') ? { authorization: opts.auth ?? auth } : {}),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });

  async function plan(settings: Record<string, unknown>): Promise<number> {
    const res = await inject('POST', '/v1/plans', settings);
    assert.equal(res.statusCode, 200, res.body);
    return res.json().plan.id;
  }

  async function session(body: Record<string, unknown>): Promise<string> {
    const res = await inject('POST', '/v1/sessions', body);
    assert.equal(res.statusCode, 200, res.body);
    return res.json().token;
  }

  async function attempt(token: string, person: string, opts: { n?: number; ip?: string } = {}) {
    const ch = await inject('POST', `/h5/api/sessions/${token}/challenge`, undefined, opts);
    assert.equal(ch.statusCode, 200, ch.body);
    const res = await inject(
      'POST',
      `/h5/api/sessions/${token}/attempts`,
      { challengeId: ch.json().challengeId, frames: frames(person, opts.n) },
      opts,
    );
    return { challengeId: ch.json().challengeId as string, res };
  }

  before(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(receiverStatus.shift() ?? 200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const b = await BACKENDS[0]!.setup();
    cleanup = b.cleanup;
    core = await openCore(testConfig({ ...b.env, SHIREN_PUBLIC_URL: 'https://verify.example.com' }));
    const key = await core.accessKeys.create({ actor: 'test', app: 'shop' });
    auth = `Bearer ${key.accessKeyId}:${key.accessKeySecret}`;
    const other = await core.accessKeys.create({ actor: 'test', app: 'rival' });
    otherAuth = `Bearer ${other.accessKeyId}:${other.accessKeySecret}`;
    const now = () => clock;
    const transaction = createTransactor(core.store.db);
    const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring, now });
    const sessions = createSessionService({
      repos: core.repos,
      transaction,
      blobs: core.blobs,
      keyring: core.keyring,
      faces,
      analyser,
      challenges,
      publicUrl: core.config.publicUrl,
      limits: { ipFailureLimit: 5, ipFailureWindowSeconds: 180, maxImageBytes: 1 << 20, h5DemoPerHour: 2 },
      ensureApp: (name) => core.accessKeys.ensureApp(name),
      now,
    });
    jobs = createJobs({
      callbacks: createCallbackSender({
        transaction,
        callbacks: core.repos.callbacks,
        sessions: core.repos.sessions,
        plans: core.repos.plans,
        keyring: core.keyring,
        now,
      }),
      retention: createRetention({ transaction, blobs: core.blobs, now }),
    });
    mkdirSync(dist.dir, { recursive: true });
    writeFileSync(path.join(dist.dir, 'index.html'), '<!doctype html><title>Shiren H5</title>');
    app = await buildApp({
      core,
      logger: false,
      nativeRoutes: [planRoutes(plans), sessionRoutes(sessions)],
      h5: { sessions, demo: true, distDir: dist.dir },
    });
  });
  after(async () => {
    await app.close();
    await core.close();
    await cleanup();
    dist.cleanup();
    await new Promise((resolve) => receiver.close(resolve));
  });
  beforeEach(() => {
    received.length = 0;
    receiverStatus = [];
  });

  test('plans: defaults, FAR thresholds, validation, tenants', async () => {
    const res = await inject('POST', '/v1/plans', { name: 'kyc', threshold: { far: '1e-5' }, callbackUrl });
    assert.equal(res.statusCode, 200, res.body);
    const { plan: p, callbackSecret } = res.json();
    assert.equal(p.threshold.score, 80);
    assert.equal(p.threshold.far, '1e-5');
    assert.equal(p.livenessMode, 'action');
    assert.equal(p.actionCount, 2);
    assert.equal(p.maxAttempts, 3);
    assert.equal(p.resultRetentionHours, 72);
    assert.equal(p.mediaRetentionHours, 24);
    assert.equal(p.passiveLivenessThreshold, null);
    assert.equal(p.callbackSecretSet, true);
    assert.equal(typeof callbackSecret, 'string', 'a generated callback secret is returned once');
    assert.equal((await inject('GET', `/v1/plans/${p.id}`)).json().callbackSecret, undefined);

    const bad = [
      { actionCount: 5 },
      { actionPool: ['blink', 'wink'] },
      { threshold: { score: 101 } },
      { threshold: { far: '1e-2' } },
      { passiveLivenessThreshold: 2 },
      { callbackUrl: 'ftp://x' },
      { mediaRetentionHours: 100, resultRetentionHours: 72 },
      { actionCount: 3, actionPool: ['blink', 'nod'] },
    ];
    for (const body of bad) {
      const r = await inject('POST', '/v1/plans', body);
      assert.equal(r.statusCode, 400, `${JSON.stringify(body)} → ${r.body}`);
      assert.equal(r.json().error.code, 'invalid_request');
    }
    // A registry plan finds the reference photo by the person's name and ID number, so it needs identity input.
    const registry = await inject('POST', '/v1/plans', { compareSource: 'registry' });
    assert.equal(registry.statusCode, 400, registry.body);
    assert.equal(registry.json().error.details.field, 'identityInput');
    const registryWithIdentity = await inject('POST', '/v1/plans', {
      compareSource: 'registry',
      identityInput: 'user',
    });
    assert.equal(registryWithIdentity.statusCode, 200, registryWithIdentity.body);

    const patched = await inject('PATCH', `/v1/plans/${p.id}`, { threshold: { score: 65.5 }, maxAttempts: 5 });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.json().plan.threshold.score, 65.5);
    assert.equal(patched.json().plan.threshold.far, null);
    assert.equal(patched.json().plan.name, 'kyc', 'unchanged fields stay');
    assert.equal((await inject('PATCH', `/v1/plans/${p.id}`, { actionCount: 0 })).statusCode, 400);

    // another app neither sees nor changes it
    assert.equal((await inject('GET', `/v1/plans/${p.id}`, undefined, { auth: otherAuth })).statusCode, 404);
    assert.equal((await inject('PATCH', `/v1/plans/${p.id}`, { name: 'x' }, { auth: otherAuth })).statusCode, 404);
    const theirs = (await inject('GET', '/v1/plans', undefined, { auth: otherAuth })).json().plans;
    assert.ok(!theirs.some((x: { id: number }) => x.id === p.id));
    assert.ok((await inject('GET', '/v1/plans')).json().plans.some((x: { id: number }) => x.id === p.id));

    // a disabled plan takes no new sessions
    await inject('PATCH', `/v1/plans/${p.id}`, { disabled: true });
    const refused = await inject('POST', '/v1/sessions', { planId: p.id });
    assert.equal(refused.json().error.code, 'conflict');
  });

  test('lifecycle: preset identity + uploaded reference, retry, replay refused, pass, result, images, signed callback', async () => {
    const create = await inject('POST', '/v1/plans', {
      name: 'onboarding',
      compareSource: 'uploaded',
      identityInput: 'preset',
      successUrl: 'https://shop.example.com/ok',
      failureUrl: 'https://shop.example.com/fail',
      callbackUrl,
      callbackSecret: 'cb-secret-0123456789',
    });
    const planId = create.json().plan.id;
    const s = await inject('POST', '/v1/sessions', {
      planId,
      outerOrderNo: 'order-42',
      identity: { name: '张三', idNumber: '11010519491231002X' },
      referenceImage: jpeg('alice:ref').toString('base64'),
    });
    assert.equal(s.statusCode, 200, s.body);
    const { token, url, expiresAt } = s.json();
    assert.match(token, /^[A-Za-z0-9]{24}$/);
    assert.equal(url, `https://verify.example.com/h5/?token=${token}`);
    assert.equal(new Date(expiresAt).getTime() - clock.getTime(), 2 * 3600_000);

    // personal data is stored encrypted
    const row = await core.repos.sessions.findByToken(token);
    assert.ok(row && !JSON.stringify(row).includes('张三') && !JSON.stringify(row).includes('11010519491231002X'));

    const h5 = await inject('GET', `/h5/api/sessions/${token}`);
    assert.equal(h5.statusCode, 200, h5.body);
    assert.deepEqual(
      { ...(h5.json() as object), expiresAt: undefined },
      {
        status: 'created',
        livenessMode: 'action',
        actionCount: 2,
        identityInput: 'preset',
        needsIdentity: false,
        identity: { name: '张*', idNumber: '110***********002X' },
        compareSource: 'uploaded',
        attemptsLeft: 3,
        expiresAt: undefined,
        redirectUrl: null,
        locale: 'zh-CN',
        mediaRetentionHours: 24,
        resultRetentionHours: 72,
      },
    );
    assert.equal(h5.headers['cache-control'], 'no-store');

    // attempt 1: somebody else → retry (compare_failed), no score shown to the page
    engineCalls = 0;
    const first = await attempt(token, 'mallory');
    assert.equal(first.res.statusCode, 200, first.res.body);
    const { receipt, ...firstOut } = first.res.json() as { receipt: string };
    assert.deepEqual(firstOut, {
      outcome: 'retry',
      code: 'compare_failed',
      message: 'The face does not match the reference photo.',
      attemptsLeft: 2,
      redirectUrl: null,
    });
    assert.match(receipt, /^sr1\./, 'the signed attempt receipt (docs/volcengine.md)');
    assert.equal(engineCalls, 3, 'passive liveness + two embeddings');
    assert.equal((await inject('GET', `/h5/api/sessions/${token}`)).json().status, 'in_progress');

    // replaying the used challenge fails, and records nothing
    const replay = await inject('POST', `/h5/api/sessions/${token}/attempts`, {
      challengeId: first.challengeId,
      frames: frames('alice'),
    });
    assert.equal(replay.statusCode, 409);
    assert.equal(replay.json().error.code, 'challenge_invalid');

    // attempt 2: the right person → passed, redirect to the success URL
    advance(30_000);
    const second = await attempt(token, 'alice');
    assert.equal(second.res.statusCode, 200, second.res.body);
    const out = second.res.json();
    assert.equal(out.outcome, 'passed');
    assert.equal(out.code, 'ok');
    assert.equal(out.attemptsLeft, 0);
    assert.equal(out.redirectUrl, `https://shop.example.com/ok?token=${token}&status=passed`);
    assert.ok(!('score' in out));

    // single use: no more challenges
    const again = await inject('POST', `/h5/api/sessions/${token}/challenge`);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'session_finished');

    // the operator's view: attempts with scores and thresholds, result, images
    const view = (await inject('GET', `/v1/sessions/${token}`)).json();
    assert.equal(view.status, 'passed');
    assert.equal(view.planId, planId);
    assert.equal(view.outerOrderNo, 'order-42');
    assert.deepEqual(view.identity, { name: '张*', idNumber: '110***********002X' });
    assert.equal(view.attempts.length, 2);
    assert.deepEqual(
      view.attempts.map((a: Record<string, unknown>) => [
        a.order,
        a.passed,
        a.code,
        a.score,
        a.threshold,
        a.livenessScore,
      ]),
      [
        [1, false, 'compare_failed', 12.25, 70, 0.95],
        [2, true, 'ok', 93.5, 70, 0.95],
      ],
    );
    assert.equal(view.attempts[0].engineCalls, 6 + 3, 'six frames analysed, liveness, two embeddings');
    assert.deepEqual(view.charges, { engineCalls: 18, compares: 2 });
    assert.equal(view.result.passed, true);
    assert.equal(view.result.score, 93.5);
    assert.equal(view.result.threshold, 70);
    assert.equal(view.images.best, true);
    assert.equal(view.images.env, true);
    const best = await inject('GET', `/v1/sessions/${token}/images/best`);
    assert.equal(best.headers['content-type'], 'image/jpeg');
    assert.equal(labelOf(best.rawPayload), 'alice:1', 'the verifier chose frame 1');
    assert.equal(labelOf((await inject('GET', `/v1/sessions/${token}/images/env`)).rawPayload), 'alice:0');
    // the first attempt's frames were replaced
    const blobs = await core.blobs.list(`sessions/${view.sessionId}/`);
    assert.equal(blobs.filter((b) => /\/(best|env)-/.test(b.key)).length, 2);

    // another app cannot see the session
    assert.equal((await inject('GET', `/v1/sessions/${token}`, undefined, { auth: otherAuth })).statusCode, 404);

    // the callback is delivered, signed
    const run = await jobs.runOnce();
    assert.equal(run.callbacks.delivered, 1);
    assert.equal(received.length, 1);
    const cb = received[0]!;
    const ts = cb.headers['x-shiren-timestamp'] as string;
    assert.equal(ts, String(Math.floor(clock.getTime() / 1000)));
    const expected = createHmac('sha256', 'cb-secret-0123456789').update(`${ts}.${cb.body}`).digest('hex');
    assert.equal(cb.headers['x-shiren-signature'], expected);
    const body = JSON.parse(cb.body);
    assert.deepEqual(body, {
      token,
      outerOrderNo: 'order-42',
      status: 'passed',
      passed: true,
      code: 'ok',
      score: 93.5,
      threshold: 70,
      livenessScore: 0.95,
      finishedAt: clock.toISOString(),
    });
    assert.equal((await jobs.runOnce()).callbacks.delivered, 0, 'delivered once');
  });

  test('a challenge of another session, an expired challenge and an unknown token are refused', async () => {
    const planId = await plan({ name: 'cross' });
    const a = await session({ planId });
    const b = await session({ planId });
    const ch = await inject('POST', `/h5/api/sessions/${a}/challenge`);
    const cross = await inject('POST', `/h5/api/sessions/${b}/attempts`, {
      challengeId: ch.json().challengeId,
      frames: frames('alice'),
    });
    assert.equal(cross.statusCode, 409);
    assert.equal(cross.json().error.code, 'challenge_invalid');
    // expired challenge (10 s capture + 2 min upload)
    advance(10_000 + 120_000 + 1);
    const late = await inject('POST', `/h5/api/sessions/${a}/attempts`, {
      challengeId: ch.json().challengeId,
      frames: frames('alice'),
    });
    assert.equal(late.json().error.code, 'challenge_invalid');
    // the attempt route takes bodies past the app's 8 MiB limit, up to 16 MiB
    const big = await inject('POST', `/h5/api/sessions/${a}/attempts`, {
      challengeId: 'x',
      frames: frames('alice', 4).map((f) => ({ ...f, image: 'A'.repeat((9 * 1024 * 1024) / 4) })),
    });
    assert.equal(big.json().error.code, 'challenge_invalid');
    const huge = await inject('POST', `/h5/api/sessions/${a}/attempts`, {
      challengeId: 'x',
      pad: 'A'.repeat(17 << 20),
    });
    assert.equal(huge.statusCode, 413);
    const unknown = await inject('GET', '/h5/api/sessions/AAAAAAAAAAAAAAAAAAAAAAAA');
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'not_found');
    assert.equal((await inject('GET', '/h5/api/sessions/short')).statusCode, 400);
  });

  test('an expired token: refused lazily, then expired by the job with a callback', async () => {
    const planId = await plan({ name: 'expiry', callbackUrl });
    const token = await session({ planId, outerOrderNo: 'late-1' });
    const ch = await inject('POST', `/h5/api/sessions/${token}/challenge`);
    assert.equal(ch.statusCode, 200);
    advance(2 * 3600_000);
    const state = await inject('GET', `/h5/api/sessions/${token}`);
    assert.equal(state.json().status, 'expired');
    assert.equal(state.json().attemptsLeft, 0);
    const refused = await inject('POST', `/h5/api/sessions/${token}/challenge`);
    assert.equal(refused.statusCode, 410);
    assert.equal(refused.json().error.code, 'session_expired');
    const view = (await inject('GET', `/v1/sessions/${token}`)).json();
    assert.equal(view.status, 'expired');
    assert.equal(view.result.code, 'session_expired');

    const run = await jobs.runOnce();
    assert.ok(run.retention.expired >= 1);
    assert.equal((await core.repos.sessions.findByToken(token))?.status, 'expired');
    const mine = received.map((r) => JSON.parse(r.body)).filter((r) => r.token === token);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].status, 'expired');
    assert.equal(mine[0].passed, false);
  });

  test('retention: images vanish after media retention, the whole session after result retention', async () => {
    const planId = await plan({ name: 'short', mediaRetentionHours: 1, resultRetentionHours: 5 });
    const token = await session({ planId });
    const { res } = await attempt(token, 'bob');
    assert.equal(res.json().outcome, 'passed');
    const { sessionId } = (await inject('GET', `/v1/sessions/${token}`)).json();
    assert.equal((await core.blobs.list(`sessions/${sessionId}/`)).length, 2);

    advance(3600_000 - 1000);
    await jobs.runOnce();
    assert.equal((await inject('GET', `/v1/sessions/${token}/images/best`)).statusCode, 200, 'kept until due');
    advance(1000);
    const run = await jobs.runOnce();
    assert.ok(run.retention.mediaPurged >= 1);
    assert.equal((await inject('GET', `/v1/sessions/${token}/images/best`)).statusCode, 404);
    assert.equal((await core.blobs.list(`sessions/${sessionId}/`)).length, 0);
    const view = (await inject('GET', `/v1/sessions/${token}`)).json();
    assert.equal(view.status, 'passed');
    assert.deepEqual(view.images, { best: false, env: false, availableUntil: null });

    advance(4 * 3600_000);
    assert.ok((await jobs.runOnce()).retention.sessionsPurged >= 1);
    assert.equal((await inject('GET', `/v1/sessions/${token}`)).statusCode, 404);
    assert.equal((await inject('GET', `/h5/api/sessions/${token}`)).statusCode, 404);
    assert.equal(await core.repos.attempts.countBySession(sessionId), 0);
  });

  test('callbacks are retried with backoff, every try recorded, then given up', async () => {
    const planId = await plan({ name: 'flaky', callbackUrl, callbackSecret: 'another-secret-123' });
    const token = await session({ planId });
    assert.equal((await attempt(token, 'carol')).res.json().outcome, 'passed');
    const { sessionId } = (await inject('GET', `/v1/sessions/${token}`)).json();

    receiverStatus = [500, 503];
    assert.deepEqual((await jobs.runOnce()).callbacks, { delivered: 0, retry: 1, failed: 0 });
    assert.deepEqual((await jobs.runOnce()).callbacks, { delivered: 0, retry: 0, failed: 0 }, 'not before 10 s');
    advance(10_000);
    assert.deepEqual((await jobs.runOnce()).callbacks, { delivered: 0, retry: 1, failed: 0 });
    advance(59_000);
    assert.equal((await jobs.runOnce()).callbacks.retry, 0, 'the second wait is a minute');
    advance(1000);
    assert.deepEqual((await jobs.runOnce()).callbacks, { delivered: 1, retry: 0, failed: 0 });
    const [d] = await core.repos.callbacks.listBySession(sessionId);
    assert.equal(d!.status, 'delivered');
    assert.deepEqual(
      d!.tries.map((t) => t.http_status),
      [500, 503, 200],
    );
    assert.equal(received.length, 3);
    assert.equal(new Set(received.map((r) => r.body)).size, 1, 'the same body on every try');

    // a receiver that never answers 2xx: six tries (now + 10 s, 1, 5, 30 min, 2 h), then failed
    const planId2 = await plan({ name: 'dead', callbackUrl: `${callbackUrl}?dead=1` });
    const token2 = await session({ planId: planId2 });
    await attempt(token2, 'dave');
    receiverStatus = Array(10).fill(404);
    const results = [];
    for (const wait of [0, 10, 60, 300, 1800, 7200]) {
      advance(wait * 1000);
      results.push((await jobs.runOnce()).callbacks);
    }
    assert.deepEqual(results.at(-1), { delivered: 0, retry: 0, failed: 1 });
    const sid2 = (await inject('GET', `/v1/sessions/${token2}`)).json().sessionId;
    const [dead] = await core.repos.callbacks.listBySession(sid2);
    assert.equal(dead!.status, 'failed');
    assert.equal(dead!.tries.length, 6);
    assert.equal(dead!.last_status, 404);
  });

  test('failed attempts per client address are limited (too_many_failures, 429)', async () => {
    const planId = await plan({ name: 'limits', maxAttempts: 20 });
    const token = await session({ planId });
    const ip = '203.0.113.50';
    for (let i = 0; i < 5; i++) {
      const { res } = await attempt(token, 'eve', { n: 5, ip });
      assert.equal(res.json().outcome, 'retry', res.body);
      assert.equal(res.json().code, 'liveness_action_missing');
    }
    const blocked = await inject('POST', `/h5/api/sessions/${token}/challenge`, undefined, { ip });
    assert.equal(blocked.statusCode, 429);
    assert.equal(blocked.json().error.code, 'too_many_failures');
    assert.match(blocked.json().error.message, /Too many failed attempts/);
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    // another address is not affected; the block lifts after the window
    assert.equal(
      (await inject('POST', `/h5/api/sessions/${token}/challenge`, undefined, { ip: '203.0.113.51' })).statusCode,
      200,
    );
    advance(180_000);
    assert.equal((await attempt(token, 'eve', { ip })).res.json().outcome, 'passed');
    // the raw address is not stored
    const row = await core.repos.sessions.findByToken(token);
    assert.ok(row?.client_ip_digest && !row.client_ip_digest.includes('203.0.113'));
  });

  test('attempts run out; invalidateOnFailure ends a session at the first failure', async () => {
    const planId = await plan({ name: 'two', maxAttempts: 2, failureUrl: 'https://shop.example.com/fail' });
    const token = await session({ planId });
    assert.equal((await attempt(token, 'x', { n: 5, ip: '192.0.2.1' })).res.json().outcome, 'retry');
    const last = (await attempt(token, 'x', { n: 5, ip: '192.0.2.1' })).res.json();
    assert.equal(last.outcome, 'failed');
    assert.equal(last.redirectUrl, `https://shop.example.com/fail?token=${token}&status=failed`);
    assert.equal((await inject('GET', `/v1/sessions/${token}`)).json().status, 'failed');

    const strict = await plan({ name: 'strict', invalidateOnFailure: true });
    const t2 = await session({ planId: strict });
    assert.equal((await attempt(t2, 'x', { n: 5, ip: '192.0.2.2' })).res.json().outcome, 'failed');
    assert.equal((await inject('POST', `/h5/api/sessions/${t2}/challenge`)).json().error.code, 'session_finished');
  });

  test('passive liveness threshold, no-face frames, reference checks', async () => {
    const planId = await plan({ name: 'passive', passiveLivenessThreshold: 0.5, maxAttempts: 5 });
    const token = await session({ planId });
    const spoof = (await attempt(token, 'spoof', { ip: '192.0.2.3' })).res.json();
    assert.equal(spoof.code, 'liveness_passive_failed');
    const noface = (await attempt(token, 'noface', { ip: '192.0.2.3' })).res.json();
    assert.equal(noface.code, 'face_not_found');
    const view = (await inject('GET', `/v1/sessions/${token}`)).json();
    assert.equal(view.attempts[0].livenessScore, 0.2);
    assert.equal(view.images.best, false, 'no face, no best frame');
    assert.equal(view.images.env, true);

    // reference images must show a face; an uploaded-compare plan needs one before a challenge
    const up = await plan({ name: 'upload', compareSource: 'uploaded' });
    const noFaceRef = await inject('POST', '/v1/sessions', {
      planId: up,
      referenceImage: jpeg('noface').toString('base64'),
    });
    assert.equal(noFaceRef.json().error.code, 'face_not_found');
    const t = await session({ planId: up });
    assert.equal((await inject('POST', `/h5/api/sessions/${t}/challenge`)).json().error.code, 'reference_missing');
    const put = await inject('PUT', `/v1/sessions/${t}/reference`, { image: jpeg('frank:ref').toString('base64') });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal((await attempt(t, 'frank')).res.json().outcome, 'passed');

    // compare with a previous passed session
    const prevPlan = await plan({ name: 'again', compareSource: 'previous' });
    assert.equal((await inject('POST', '/v1/sessions', { planId: prevPlan })).statusCode, 400);
    const t3 = await session({ planId: prevPlan, previousToken: t });
    assert.equal((await attempt(t3, 'frank')).res.json().outcome, 'passed');
    const t4 = await session({ planId: prevPlan, previousToken: t });
    assert.equal((await attempt(t4, 'grace')).res.json().code, 'compare_failed');
  });

  test('identity entered by the person: required before the challenge, validated, masked', async () => {
    const planId = await plan({ name: 'user-id', identityInput: 'user' });
    const token = await session({ planId });
    const state = (await inject('GET', `/h5/api/sessions/${token}`)).json();
    assert.equal(state.needsIdentity, true);
    assert.equal((await inject('POST', `/h5/api/sessions/${token}/challenge`)).json().error.code, 'identity_missing');
    const wrong = await inject('POST', `/h5/api/sessions/${token}/identity`, {
      name: '李四',
      idNumber: '110105194912310021',
    });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.json().error.message, /check digit/);
    const ok = await inject('POST', `/h5/api/sessions/${token}/identity`, {
      name: '李四',
      idNumber: '11010519491231002x',
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json().identity, { name: '李*', idNumber: '110***********002X' });
    assert.equal((await inject('GET', `/h5/api/sessions/${token}`)).json().needsIdentity, false);
    assert.equal((await inject('POST', `/h5/api/sessions/${token}/challenge`)).statusCode, 200);
    // the operator may not preset it on a "user" plan
    const preset = await inject('PUT', `/v1/sessions/${token}/identity`, {
      name: '王五',
      idNumber: '11010519491231002X',
    });
    assert.equal(preset.statusCode, 409);
  });

  test('delete removes rows and images for real and is audit-logged', async () => {
    const planId = await plan({ name: 'gdpr', callbackUrl });
    const token = await session({ planId });
    await attempt(token, 'heidi');
    const { sessionId } = (await inject('GET', `/v1/sessions/${token}`)).json();
    assert.ok((await core.blobs.list(`sessions/${sessionId}/`)).length > 0);
    assert.equal((await inject('DELETE', `/v1/sessions/${token}`, undefined, { auth: otherAuth })).statusCode, 404);
    const del = await inject('DELETE', `/v1/sessions/${token}`);
    assert.equal(del.statusCode, 200, del.body);
    assert.equal((await inject('GET', `/v1/sessions/${token}`)).statusCode, 404);
    assert.equal((await core.blobs.list(`sessions/${sessionId}/`)).length, 0);
    const db = core.store.db;
    for (const table of ['verify_attempt', 'challenge', 'callback_delivery'] as const) {
      const rows = await db.selectFrom(table).select('session_id').where('session_id', '=', sessionId).execute();
      assert.equal(rows.length, 0, table);
    }
    assert.ok((await core.repos.audit.recent()).some((a) => a.action === 'session.delete' && a.target === sessionId));
  });

  test('the page, the demo and its rate limit', async () => {
    const page = await inject('GET', '/h5/');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Shiren H5/);
    const demo = await inject('GET', '/h5/demo', undefined, { ip: '192.0.2.99' });
    assert.equal(demo.statusCode, 302, demo.body);
    const token = /token=([A-Za-z0-9]{24})/.exec(String(demo.headers.location))![1]!;
    const state = (await inject('GET', `/h5/api/sessions/${token}`)).json();
    assert.equal(state.livenessMode, 'action');
    assert.equal(state.compareSource, 'none');
    assert.equal((await inject('GET', '/h5/demo', undefined, { ip: '192.0.2.99' })).statusCode, 302);
    const limited = await inject('GET', '/h5/demo', undefined, { ip: '192.0.2.99' });
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().error.code, 'rate_limited');
    assert.equal((await inject('GET', '/h5/demo', undefined, { ip: '192.0.2.100' })).statusCode, 302);
  });

  test('an unbuilt page answers a clear 404 envelope', async () => {
    const Fastify = (await import('fastify')).default;
    const { registerH5 } = await import('./index.js');
    const { sendNativeError } = await import('../common/errors.js');
    const bare = Fastify({ logger: false });
    bare.setErrorHandler((err, request, reply) => sendNativeError(err, request, reply));
    bare.addSchema((await import('../common/errors.js')).errorEnvelopeSchema);
    await registerH5(bare, {
      sessions: {
        demo: async () => {
          throw new ShirenError('internal');
        },
      } as never,
      demo: false,
      distDir: path.join(dist.dir, 'missing'),
    });
    const res = await bare.inject({ url: '/h5/?token=x' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.message, 'H5 page not built: npm run build');
    assert.equal(
      (await bare.inject({ url: '/h5/demo' })).json().error.message,
      'the H5 demo is switched off (SHIREN_H5_DEMO=off)',
    );
    await bare.close();
  });
});
