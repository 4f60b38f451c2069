/**
 * Per-app rate limits on both database backends, with the limiter's clock injected (openCore accessKeyClock):
 * the console sets them (PATCH /v1/console/apps/:id: operators and admins, CSRF, validation, audit app.update), and
 * every protocol that authenticates with an app's key enforces them: native /v1 (Bearer and HMAC) 429 rate_limited
 * with Retry-After, Cloudauth through the official SDK (Throttling.User), Baidu faceprint (error_code 18), Volcengine
 * (FlowLimitExceeded). A change applies from the next request; unlimited apps and refused (unauthenticated or
 * replayed) requests do not count.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DescribePageFaceVerifyDataRequest } from '@alicloud/cloudauth20190307';
import { Signer } from '@volcengine/openapi';
import type { FastifyInstance } from 'fastify';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { signNativeRequest } from '../../auth/native-signature.js';
import { bootstrapFirstRun } from '../../auth/bootstrap.js';
import { openCore, type Core } from '../../core.js';
import { createTransactor } from '../../store/repos/index.js';
import { createAttemptReceipts } from '../../verify/attempt-receipt.js';
import { createPlanService } from '../../verify/plans.js';
import { createSessionService } from '../../verify/sessions.js';
import { createStatisticsService } from '../../verify/statistics.js';
import { sdkClient } from '../aliyun/sdk-test-client.js';
import { FACEPRINT_PREFIX } from '../baidu/index.js';
import { consoleDeps } from './console-deps.js';
import { consoleClient, type Signed } from './console-test-helpers.js';

const ORIGIN = 'https://console.example.com';
type Key = { accessKeyId: string; accessKeySecret: string; appId: string };
interface VolcAnswer {
  code?: number;
  ResponseMetadata: { Action: string; Service: string; Error: { Code: string; CodeN: number } };
}

for (const backend of BACKENDS) {
  describe(`per-app rate limits on ${backend.name}`, () => {
    let app: FastifyInstance;
    let core: Core;
    let cleanup: () => Promise<void>;
    let port: number;
    let admin: Signed;
    let operator: Signed;
    let auditor: Signed;
    let baiduPlan: number;
    let clock = new Date('2026-12-01T08:00:00Z');
    const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));
    const keys: Record<string, Key> = {};

    const { call, signIn, assertGuarded, assertInvalidFields } = consoleClient({ app: () => app, ip: '192.0.2.10' });
    const bearer = (k: Key) => `Bearer ${k.accessKeyId}:${k.accessKeySecret}`;
    const whoami = (k: Key, authorization = bearer(k)) =>
      app.inject({ method: 'GET', url: '/v1/whoami', headers: { authorization } });
    const statuses = async (k: Key, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await whoami(k)).statusCode);
      return out;
    };
    const setLimit = async (as: Signed, k: Key, body: Record<string, unknown>) => {
      const res = await call('PATCH', `/v1/console/apps/${k.appId}`, { as, body });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().app as { rateLimitPerMinute: number | null; rateLimitBurst: number | null };
    };

    before(async () => {
      const b = await backend.setup();
      cleanup = b.cleanup;
      core = await openCore(testConfig({ ...b.env, SHIREN_PUBLIC_URL: ORIGIN }), { accessKeyClock: () => clock });
      const creds = await bootstrapFirstRun({ repos: core.repos, accessKeys: core.accessKeys });
      assert.ok(creds);
      for (const name of ['native', 'free', 'aliyun', 'baidu', 'volc', 'console'])
        keys[name] = await core.accessKeys.create({ app: `rl-${name}`, actor: 'test' });
      const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
      baiduPlan = (
        await plans.create(keys.baidu!.appId, { name: 'rl', livenessMode: 'none', compareSource: 'none' }, 'test')
      ).plan.id;
      const sessions = createSessionService({
        repos: core.repos,
        transaction: createTransactor(core.store.db),
        blobs: core.blobs,
        keyring: core.keyring,
        faces: {} as never,
        analyser: {} as never,
        challenges: {} as never,
        publicUrl: ORIGIN,
        limits: { ...core.config.sessions, maxImageBytes: core.config.engine.maxImageBytes },
      });
      app = await buildApp({
        core,
        logger: false,
        console: consoleDeps({ core, sessions, policy: { idleSeconds: 30 * 24 * 3600 } }),
        aliyun: {
          keys: core.accessKeys,
          nonces: core.repos.nonces,
          windowSeconds: core.config.signatureWindowSeconds,
          faces: {} as never,
          plans,
          images: { resolve: async () => Buffer.alloc(0) },
          statistics: createStatisticsService({ repos: core.repos }),
        },
        baidu: { keys: core.accessKeys, keyring: core.keyring, sessions, plans, publicUrl: ORIGIN },
        volcengine: {
          keys: core.accessKeys,
          windowSeconds: core.config.signatureWindowSeconds,
          faces: {} as never,
          plans,
          sessions,
          receipts: createAttemptReceipts(core.keyring),
        },
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      port = (app.server.address() as { port: number }).port;
      admin = await signIn('admin', creds.admin.password);
      for (const [username, role] of [
        ['oscar', 'operator'],
        ['alice', 'auditor'],
      ] as const) {
        const password = `long enough password ${username.length}x`;
        const res = await call('POST', '/v1/console/users', { as: admin, body: { username, password, role } });
        assert.equal(res.statusCode, 200, res.body);
      }
      operator = await signIn('oscar', 'long enough password 5x');
      auditor = await signIn('alice', 'long enough password 5x');
    });
    after(async () => {
      await app?.close();
      await core?.close();
      await cleanup?.();
    });

    test('console: operators set a limit (audited app.update), auditors 403, CSRF, validation fields, 404', async () => {
      const k = keys.console!;
      const url = `/v1/console/apps/${k.appId}`;
      const body = { rateLimitPerMinute: 5 };
      await assertGuarded('PATCH', url, { body, denied: auditor, requires: 'operate', allowed: operator });
      const wrongOrigin = await call('PATCH', url, {
        as: operator,
        body: { rateLimitPerMinute: 5 },
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(wrongOrigin.statusCode, 403);
      const cases: [Record<string, unknown>, string][] = [
        [{ rateLimitPerMinute: 0 }, 'rateLimitPerMinute'],
        [{ rateLimitPerMinute: 1.5 }, 'rateLimitPerMinute'],
        [{ rateLimitPerMinute: '10' }, 'rateLimitPerMinute'],
        [{ rateLimitPerMinute: 1_000_001 }, 'rateLimitPerMinute'],
        [{ rateLimitPerMinute: 10, rateLimitBurst: -1 }, 'rateLimitBurst'],
        [{ rateLimitBurst: 5 }, 'rateLimitBurst'], // the app is unlimited: a burst alone makes no sense
        [{ rateLimitPerMinute: null, rateLimitBurst: 5 }, 'rateLimitBurst'],
        [{ perSecond: 1 }, 'perSecond'],
        [{}, 'rateLimitPerMinute'],
      ];
      await assertInvalidFields('PATCH', url, admin, cases);
      const missing = await call('PATCH', '/v1/console/apps/app_nope', { as: admin, body: { rateLimitPerMinute: 5 } });
      assert.equal(missing.statusCode, 404);
      const listed = async () =>
        (await call('GET', '/v1/console/apps', { as: auditor }))
          .json()
          .apps.find((a: { id: string }) => a.id === k.appId);
      assert.equal((await listed()).rateLimitPerMinute, null, 'nothing stored by the refusals');
      assert.deepEqual(await setLimit(operator, k, { rateLimitPerMinute: 120 }), {
        ...(await listed()),
        rateLimitPerMinute: 120,
        rateLimitBurst: 120,
      });
      assert.equal((await setLimit(operator, k, { rateLimitBurst: 10 })).rateLimitBurst, 10);
      const kept = await setLimit(admin, k, { rateLimitPerMinute: 60 });
      assert.deepEqual([kept.rateLimitPerMinute, kept.rateLimitBurst], [60, 10], 'the burst is kept');
      const cleared = await setLimit(admin, k, { rateLimitPerMinute: null });
      assert.deepEqual([cleared.rateLimitPerMinute, cleared.rateLimitBurst], [null, null]);
      const audit = await call('GET', '/v1/console/audit?action=app.update', { as: auditor });
      const entries = audit.json().entries as { actor: string; target: string; details: Record<string, unknown> }[];
      assert.equal(entries.length, 4);
      assert.equal(entries.at(-1)!.actor, 'console:oscar');
      assert.equal(entries.at(-1)!.target, k.appId);
      assert.deepEqual(entries.at(-1)!.details, {
        app: 'rl-console',
        rateLimitPerMinute: 120,
        rateLimitBurst: null,
        previous: { rateLimitPerMinute: null, rateLimitBurst: null },
      });
      assert.deepEqual(entries[0]!.details.previous, { rateLimitPerMinute: 60, rateLimitBurst: 10 });
    });

    test('native /v1: throttled after N within the window with Retry-After, allowed again after; unlimited apps unaffected', async () => {
      const k = keys.native!;
      await setLimit(operator, k, { rateLimitPerMinute: 3 });
      assert.deepEqual(await statuses(k, 3), [200, 200, 200]);
      const limited = await whoami(k);
      assert.equal(limited.statusCode, 429, limited.body);
      assert.equal(limited.headers['retry-after'], '20');
      assert.equal(limited.json().error.code, 'rate_limited');
      assert.deepEqual(limited.json().error.details, {
        scope: 'app',
        rateLimitPerMinute: 3,
        rateLimitBurst: 3,
        retryAfterSeconds: 20,
      });
      // the unlimited app is not affected, however much it sends
      assert.ok((await statuses(keys.free!, 40)).every((s) => s === 200));
      // another key of the same app shares the app's bucket
      const second = await core.accessKeys.create({ app: 'rl-native', actor: 'test' });
      assert.equal((await whoami(second)).statusCode, 429);
      advance(19_000);
      const almost = await whoami(k);
      assert.equal(almost.statusCode, 429);
      assert.equal(almost.headers['retry-after'], '1');
      advance(1_000);
      assert.deepEqual(await statuses(second, 2), [200, 429], 'one token after 20 s');
      advance(60_000);
      assert.deepEqual(await statuses(k, 4), [200, 200, 200, 429], 'a full bucket after a minute, no more');
    });

    test('native /v1: refused requests (wrong secret, bad signature, replayed nonce) do not use up the allowance', async () => {
      const k = keys.native!;
      advance(60_000);
      await setLimit(admin, k, { rateLimitPerMinute: 2, rateLimitBurst: 2 });
      for (let i = 0; i < 5; i++)
        assert.equal((await whoami(k, `Bearer ${k.accessKeyId}:${'x'.repeat(40)}`)).statusCode, 401);
      const wrong = signNativeRequest({ ...k, accessKeySecret: 'y'.repeat(40), method: 'GET', url: '/v1/whoami' });
      assert.equal((await whoami(k, wrong)).statusCode, 401);
      const signed = signNativeRequest({ ...k, method: 'GET', url: '/v1/whoami' });
      assert.equal((await whoami(k, signed)).statusCode, 200, 'the HMAC scheme is admitted through the same limit');
      assert.equal((await whoami(k, signed)).json().error.code, 'nonce_reused');
      assert.equal((await whoami(k)).statusCode, 200, 'the replay did not take the second token');
      const over = await whoami(k, signNativeRequest({ ...k, method: 'GET', url: '/v1/whoami' }));
      assert.equal(over.statusCode, 429);
      assert.equal(over.headers['retry-after'], '30');
    });

    test('a limit changed in the console applies to the very next request', async () => {
      const k = keys.native!;
      advance(120_000);
      await setLimit(operator, k, { rateLimitPerMinute: 3, rateLimitBurst: 3 });
      assert.deepEqual(await statuses(k, 4), [200, 200, 200, 429]);
      await setLimit(operator, k, { rateLimitPerMinute: 5, rateLimitBurst: 5 });
      assert.deepEqual(await statuses(k, 3), [200, 200, 429], 'raised: 5 − 3 used = 2 more at once');
      await setLimit(operator, k, { rateLimitPerMinute: null });
      assert.ok(
        (await statuses(k, 30)).every((s) => s === 200),
        'unlimited at once',
      );
      await setLimit(operator, k, { rateLimitPerMinute: 2 });
      assert.deepEqual(await statuses(k, 3), [200, 200, 429], 'limited again at once');
      await setLimit(operator, k, { rateLimitPerMinute: 1, rateLimitBurst: 1 });
      advance(60_000);
      assert.deepEqual(await statuses(k, 2), [200, 429], 'lowered: the burst clamps the refilled bucket');
    });

    test('Cloudauth: the official SDK gets Throttling.User (HTTP 429) over the limit, in both signature versions', async () => {
      const k = keys.aliyun!;
      await setLimit(operator, k, { rateLimitPerMinute: 2 });
      const client = (mode: 'acs3' | 'rpc') => sdkClient(k, port, { mode });
      const request = () =>
        new DescribePageFaceVerifyDataRequest({ startDate: '2026-11-10', endDate: '2026-11-11', pageSize: 10 });
      for (const mode of ['acs3', 'rpc'] as const)
        assert.equal((await client(mode).describePageFaceVerifyData(request())).body!.code, '200');
      for (const mode of ['acs3', 'rpc'] as const) {
        const err = (await client(mode)
          .describePageFaceVerifyData(request())
          .then(
            () => assert.fail('expected Throttling.User'),
            (e: unknown) => e,
          )) as { code?: string; statusCode?: number; data?: Record<string, unknown>; message?: string };
        assert.equal(err.code, 'Throttling.User', `${mode}: ${String(err.message)}`);
        assert.equal(err.statusCode ?? err.data?.statusCode, 429);
        assert.match(String(err.message), /limited to 2 requests per minute/);
      }
      advance(30_000);
      assert.equal((await client('rpc').describePageFaceVerifyData(request())).body!.code, '200');
    });

    test('Baidu faceprint: error_code 18 "Open api qps request limit reached" over the limit; the token call is free', async () => {
      const k = keys.baidu!;
      await setLimit(operator, k, { rateLimitPerMinute: 2 });
      const post = (url: string, body?: unknown) =>
        app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json' },
          payload: body === undefined ? '' : JSON.stringify(body),
        });
      const tokenUrl = `/oauth/2.0/token?grant_type=client_credentials&client_id=${k.accessKeyId}&client_secret=${k.accessKeySecret}`;
      const generate = async () =>
        (
          await post(`${FACEPRINT_PREFIX}/verifyToken/generate?access_token=${token}`, { plan_id: baiduPlan })
        ).json() as Record<string, unknown>;
      let token = (await post(tokenUrl)).json().access_token as string;
      assert.ok(token);
      assert.equal((await generate()).success, true);
      assert.equal((await generate()).success, true);
      const limited = await post(`${FACEPRINT_PREFIX}/verifyToken/generate?access_token=${token}`, {
        plan_id: baiduPlan,
      });
      assert.equal(limited.statusCode, 200, 'Baidu answers refusals with HTTP 200');
      const body = limited.json();
      assert.equal(body.error_code, 18, limited.body);
      assert.match(body.error_msg, /^Open api qps request limit reached: app rl-baidu is limited to 2 requests/);
      assert.match(body.log_id, /^\d+$/);
      assert.equal(body.success, undefined);
      token = (await post(tokenUrl)).json().access_token as string;
      assert.ok(token, 'a new token is issued while the calls are throttled');
      assert.equal((await generate()).error_code, 18);
      advance(30_000);
      assert.equal((await generate()).success, true);
    });

    test('Volcengine: FlowLimitExceeded (429, CodeN 100018) with Retry-After over the limit', async () => {
      const k = keys.volc!;
      await setLimit(operator, k, { rateLimitPerMinute: 1 });
      const signed = async () => {
        const req = {
          region: 'cn-north-1',
          method: 'POST',
          pathname: '/',
          params: { Action: 'CertVerify', Version: '2022-08-31' },
          headers: { 'content-type': 'application/json; charset=utf-8' } as Record<string, string>,
          body: '{}',
        };
        new Signer(req, 'cv').addAuthorization({ accessKeyId: k.accessKeyId, secretKey: k.accessKeySecret });
        const res = await fetch(`http://127.0.0.1:${port}/?Action=CertVerify&Version=2022-08-31`, {
          method: 'POST',
          headers: req.headers,
          body: req.body,
        });
        return { status: res.status, headers: res.headers, json: (await res.json()) as VolcAnswer };
      };
      const allowed = await signed();
      assert.equal(allowed.status, 400, 'authenticated and admitted: the body is checked (no req_key)');
      assert.equal(allowed.json.code, 50201);
      const limited = await signed();
      assert.equal(limited.status, 429, JSON.stringify(limited.json));
      assert.equal(limited.headers.get('retry-after'), '60');
      const meta = limited.json.ResponseMetadata;
      assert.equal(meta.Error.Code, 'FlowLimitExceeded');
      assert.equal(meta.Error.CodeN, 100018);
      assert.equal(meta.Action, 'CertVerify');
      assert.equal(meta.Service, 'cv');
      advance(60_000);
      assert.equal((await signed()).json.code, 50201);
    });
  });
}
