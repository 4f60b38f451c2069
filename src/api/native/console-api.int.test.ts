/**
 * The console API over HTTP (inject) on both database backends: sign-in and its cookie, CSRF and origin checks,
 * lockout per user and per address, idle expiry, role checks on every kind of route, users and their audit entries,
 * access keys (a disabled key stops working at once, rotation), and the records search (OuterOrderNo, ID number by
 * its digest, keyset pages), detail and deletion. Sessions are created through the native API; the clock is injected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { bootstrapFirstRun } from '../../auth/bootstrap.js';
import { openCore, type Core } from '../../core.js';
import { createTransactor } from '../../store/repos/index.js';
import { createPlanService } from '../../verify/plans.js';
import { createSessionService, type SessionFaces } from '../../verify/sessions.js';
import { consoleDeps } from './console-deps.js';
import { consoleClient, type Signed } from './console-test-helpers.js';
import { planRoutes } from './plan-routes.js';
import { sessionRoutes } from './session-routes.js';

const ORIGIN = 'https://console.example.com';
const ID_A = '11010519491231002X';
const ID_B = '110101199003074514';
const noFaces = {} as SessionFaces;

for (const backend of BACKENDS) {
  describe(`console API on ${backend.name}`, () => {
    let app: FastifyInstance;
    let core: Core;
    let cleanup: () => Promise<void>;
    let adminPassword: string;
    let bearer: string;
    let clock = new Date('2026-05-01T08:00:00Z');
    const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));
    let admin: Signed;

    const { call, signIn } = consoleClient({ app: () => app, ip: '203.0.113.10', bearer: () => bearer });

    async function auditActions(actor: string): Promise<string[]> {
      const res = await call('GET', `/v1/console/audit?actor=${encodeURIComponent(actor)}&limit=500`, { as: admin });
      assert.equal(res.statusCode, 200, res.body);
      return (res.json().entries as { action: string }[]).map((e) => e.action);
    }

    before(async () => {
      const b = await backend.setup();
      cleanup = b.cleanup;
      core = await openCore(testConfig({ ...b.env, SHIREN_PUBLIC_URL: ORIGIN }));
      const creds = await bootstrapFirstRun({ repos: core.repos, accessKeys: core.accessKeys });
      assert.ok(creds);
      adminPassword = creds.admin.password;
      bearer = `Bearer ${creds.accessKey.accessKeyId}:${creds.accessKey.accessKeySecret}`;
      const now = () => clock;
      const sessions = createSessionService({
        repos: core.repos,
        transaction: createTransactor(core.store.db),
        blobs: core.blobs,
        keyring: core.keyring,
        faces: noFaces,
        publicUrl: ORIGIN,
        limits: { ipFailureLimit: 5, ipFailureWindowSeconds: 180, maxImageBytes: 1 << 20 },
        now,
      });
      const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring, now });
      app = await buildApp({
        core,
        logger: false,
        nativeRoutes: [planRoutes(plans), sessionRoutes(sessions)],
        console: consoleDeps({ core, sessions, now }),
      });
    });
    after(async () => {
      await app?.close();
      await core?.close();
      await cleanup?.();
    });

    test('sign-in: wrong password 401; the cookie is HttpOnly, SameSite=Strict, Secure on https; session read', async () => {
      const wrong = await call('POST', '/v1/console/session', { body: { username: 'admin', password: 'nope' } });
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.json().error.code, 'unauthorized');
      assert.equal(wrong.headers['set-cookie'], undefined);
      const unknown = await call('POST', '/v1/console/session', { body: { username: 'ghost', password: 'x' } });
      assert.equal(unknown.statusCode, 401);
      assert.equal(unknown.json().error.message, wrong.json().error.message, 'unknown and wrong look the same');

      const res = await call('POST', '/v1/console/session', { body: { username: 'admin', password: adminPassword } });
      assert.equal(res.statusCode, 200, res.body);
      const set = String(res.headers['set-cookie']);
      assert.match(
        set,
        /^shiren_console=[A-Za-z0-9_-]{43}; Path=\/v1\/console; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/,
      );
      assert.equal(res.json().user.role, 'admin');
      assert.deepEqual(res.json().capabilities, { operate: true, manageUsers: true });
      admin = { cookie: set.split(';')[0]!, csrf: res.json().csrfToken };
      // Only a hash of the session id is stored.
      const rows = await core.store.db.selectFrom('console_session').selectAll().execute();
      assert.ok(rows.length >= 1);
      assert.ok(rows.every((r) => !admin.cookie.includes(r.id_hash)));

      assert.equal((await call('GET', '/v1/console/session')).statusCode, 401);
      assert.equal(
        (await call('GET', '/v1/console/session', { headers: { cookie: 'shiren_console=' + 'A'.repeat(43) } }))
          .statusCode,
        401,
      );
      const me = await call('GET', '/v1/console/session', { as: admin });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().csrfToken, admin.csrf);
      assert.equal(me.headers['cache-control'], 'no-store');
      // The access-key API does not accept the console cookie, and the console does not accept access keys.
      assert.equal((await call('GET', '/v1/whoami', { as: admin, headers: { authorization: '' } })).statusCode, 401);
      assert.equal((await call('GET', '/v1/console/records', { headers: { authorization: bearer } })).statusCode, 401);
      const actions = await auditActions('console:admin');
      assert.ok(actions.includes('console.sign_in'));
      assert.ok((await auditActions('console:ghost')).includes('console.sign_in_failed'));
    });

    test('the console routes are in the OpenAPI document; unknown console paths are 404 in the native envelope', async () => {
      const doc = (await call('GET', '/openapi.json')).json();
      for (const p of ['/v1/console/session', '/v1/console/records', '/v1/console/records/{token}', '/v1/console/keys'])
        assert.ok(doc.paths[p], p);
      const missing = await call('GET', '/v1/console/nope', { as: admin });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, 'not_found');
      const head = await call('HEAD', '/v1/console/records', {});
      assert.equal(head.statusCode, 401, 'HEAD is authenticated like GET');
    });

    test('CSRF: state changes need x-csrf-token of this session and our origin', async () => {
      const body = { username: 'csrf-victim', password: 'long enough password', role: 'auditor' };
      const none = await call('POST', '/v1/console/users', { as: admin, body, csrf: null });
      assert.equal(none.statusCode, 403);
      assert.equal(none.json().error.code, 'forbidden');
      assert.equal(none.json().error.details.csrf, 'invalid');
      const other = await signIn('admin', adminPassword);
      const wrong = await call('POST', '/v1/console/users', { as: admin, body, csrf: other.csrf });
      assert.equal(wrong.statusCode, 403, 'the token of another session does not do');
      const evil = await call('POST', '/v1/console/users', {
        as: admin,
        body,
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(evil.statusCode, 403);
      assert.equal(evil.json().error.details.csrf, 'origin');
      const site = await call('POST', '/v1/console/users', {
        as: admin,
        body,
        headers: { 'sec-fetch-site': 'cross-site' },
      });
      assert.equal(site.statusCode, 403);
      const signInCross = await call('POST', '/v1/console/session', {
        body: { username: 'admin', password: adminPassword },
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(signInCross.statusCode, 403, 'no login CSRF either');
      assert.equal(await core.repos.adminUsers.findByUsername('csrf-victim'), undefined, 'nothing was created');
      const ok = await call('POST', '/v1/console/users', { as: admin, body, headers: { origin: ORIGIN } });
      assert.equal(ok.statusCode, 200, ok.body);
      // GET needs no token; sign-out does.
      assert.equal((await call('DELETE', '/v1/console/session', { as: other, csrf: null })).statusCode, 403);
      assert.equal((await call('DELETE', '/v1/console/session', { as: other })).statusCode, 204);
      assert.equal((await call('GET', '/v1/console/session', { as: other })).statusCode, 401, 'signed out');
    });

    test('users: create, password rules, role change, last admin protected, audit entries', async () => {
      const weak = await call('POST', '/v1/console/users', {
        as: admin,
        body: { username: 'olga', password: 'short', role: 'operator' },
      });
      assert.equal(weak.statusCode, 400);
      assert.equal(weak.json().error.details.field, 'password');
      const created = await call('POST', '/v1/console/users', {
        as: admin,
        body: { username: 'olga', password: 'operator password 1', role: 'operator' },
      });
      assert.equal(created.statusCode, 200, created.body);
      const olga = created.json().user;
      assert.equal(olga.role, 'operator');
      assert.equal(JSON.stringify(created.json()).includes('scrypt'), false, 'no hash in answers');
      const dup = await call('POST', '/v1/console/users', {
        as: admin,
        body: { username: 'olga', password: 'operator password 1', role: 'operator' },
      });
      assert.equal(dup.statusCode, 409);
      const stored = await core.repos.adminUsers.findByUsername('olga');
      assert.match(stored!.password_hash, /^scrypt\$32768\$8\$1\$/);

      const me = (await call('GET', '/v1/console/session', { as: admin })).json().user;
      const demote = await call('PATCH', `/v1/console/users/${me.id}`, { as: admin, body: { role: 'auditor' } });
      assert.equal(demote.statusCode, 409, 'no self demotion');
      const del = await call('DELETE', `/v1/console/users/${me.id}`, { as: admin });
      assert.equal(del.statusCode, 409);

      const list = await call('GET', '/v1/console/users', { as: admin });
      assert.deepEqual((list.json().users as { username: string }[]).map((u) => u.username).sort(), [
        'admin',
        'csrf-victim',
        'olga',
      ]);
      const actions = await auditActions('console:admin');
      assert.ok(actions.includes('console_user.create'));
      const entry = (await call('GET', '/v1/console/audit?action=console_user.create', { as: admin })).json()
        .entries[0];
      assert.equal(entry.actor, 'console:admin');
      assert.equal(entry.target, olga.id);
      assert.deepEqual(entry.details, { username: 'olga', role: 'operator' });
      assert.ok(!JSON.stringify(entry).includes('operator password'), 'no password in the audit log');
    });

    test('roles: the auditor reads but changes nothing; the operator manages keys and records, not users', async () => {
      const created = await call('POST', '/v1/console/users', {
        as: admin,
        body: { username: 'audrey', password: 'auditor password 1', role: 'auditor' },
      });
      assert.equal(created.statusCode, 200, created.body);
      const auditor = await signIn('audrey', 'auditor password 1');
      const operator = await signIn('olga', 'operator password 1');
      const me = (await call('GET', '/v1/console/session', { as: auditor })).json();
      assert.deepEqual(me.capabilities, { operate: false, manageUsers: false });
      for (const url of [
        '/v1/console/records',
        '/v1/console/apps',
        '/v1/console/keys',
        '/v1/console/users',
        '/v1/console/audit',
      ]) {
        assert.equal((await call('GET', url, { as: auditor })).statusCode, 200, url);
      }
      const keyId = (await call('GET', '/v1/console/keys', { as: admin })).json().keys[0].accessKeyId;
      const changes: [string, string, unknown][] = [
        ['POST', '/v1/console/keys', { app: 'audrey-app' }],
        ['POST', `/v1/console/keys/${keyId}/disable`, undefined],
        ['POST', `/v1/console/keys/${keyId}/rotate`, undefined],
        ['DELETE', '/v1/console/records/AAAAAAAAAAAAAAAAAAAAAAAA', undefined],
        ['POST', '/v1/console/users', { username: 'mallory', password: 'mallory password', role: 'admin' }],
        ['PATCH', `/v1/console/users/${me.user.id}`, { role: 'admin' }],
      ];
      for (const [method, url, body] of changes) {
        const res = await call(method, url, { as: auditor, body });
        assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
        assert.equal(res.json().error.code, 'forbidden');
        assert.equal(res.json().error.details.role, 'auditor');
      }
      assert.equal((await call('GET', '/v1/console/keys?app=audrey-app', { as: admin })).json().keys.length, 0);
      const opUser = await call('POST', '/v1/console/users', {
        as: operator,
        body: { username: 'mallory', password: 'mallory password', role: 'admin' },
      });
      assert.equal(opUser.statusCode, 403);
      const opKey = await call('POST', '/v1/console/keys', { as: operator, body: { app: 'olga-app' } });
      assert.equal(opKey.statusCode, 200, opKey.body);
      // The auditor may change their own password (self).
      const pw = await call('PUT', '/v1/console/session/password', {
        as: auditor,
        body: { currentPassword: 'auditor password 1', newPassword: 'auditor password 2' },
      });
      assert.equal(pw.statusCode, 204, pw.body);
    });

    test('access keys: the secret is shown once, a disabled key stops working at once, rotation', async () => {
      const created = await call('POST', '/v1/console/keys', { as: admin, body: { app: 'shop' } });
      assert.equal(created.statusCode, 200, created.body);
      const key = created.json().key;
      assert.equal(key.accessKeySecret.length, 40);
      const auth = `Bearer ${key.accessKeyId}:${key.accessKeySecret}`;
      const listed = await call('GET', '/v1/console/keys?app=shop', { as: admin });
      assert.equal(listed.json().keys.length, 1);
      assert.ok(!listed.body.includes(key.accessKeySecret), 'never listed again');
      const apps = (await call('GET', '/v1/console/apps', { as: admin })).json().apps as {
        name: string;
        keys: { active: number };
      }[];
      assert.equal(apps.find((a) => a.name === 'shop')?.keys.active, 1);

      assert.equal((await call('GET', '/v1/whoami', { headers: { authorization: auth } })).statusCode, 200);
      const dis = await call('POST', `/v1/console/keys/${key.accessKeyId}/disable`, { as: admin });
      assert.equal(dis.statusCode, 204, dis.body);
      const refused = await call('GET', '/v1/whoami', { headers: { authorization: auth } });
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().error.code, 'access_key_disabled');

      const second = (await call('POST', '/v1/console/keys', { as: admin, body: { app: 'shop' } })).json().key;
      const rotated = await call('POST', `/v1/console/keys/${second.accessKeyId}/rotate`, { as: admin });
      assert.equal(rotated.statusCode, 200, rotated.body);
      const fresh = rotated.json().key;
      assert.notEqual(fresh.accessKeyId, second.accessKeyId);
      assert.equal(fresh.appName, 'shop');
      const oldAuth = `Bearer ${second.accessKeyId}:${second.accessKeySecret}`;
      const newAuth = `Bearer ${fresh.accessKeyId}:${fresh.accessKeySecret}`;
      assert.equal((await call('GET', '/v1/whoami', { headers: { authorization: oldAuth } })).statusCode, 403);
      assert.equal((await call('GET', '/v1/whoami', { headers: { authorization: newAuth } })).statusCode, 200);
      assert.equal(
        (await call('POST', `/v1/console/keys/${second.accessKeyId}/rotate`, { as: admin })).statusCode,
        409,
      );
      const actions = await auditActions('console:admin');
      for (const a of ['access_key.create', 'access_key.disable', 'access_key.rotate'])
        assert.ok(actions.includes(a), a);
    });

    test('plans: created and changed through the plan service by operators, listed for auditors, audited', async () => {
      const res = await call('POST', '/v1/console/plans', {
        as: admin,
        body: { app: 'shop', settings: { name: 'console plan', livenessMode: 'silent', threshold: { far: '1e-5' } } },
      });
      assert.equal(res.statusCode, 200, res.body);
      const plan = res.json().plan;
      assert.equal(plan.threshold.score, 80);
      const bad = await call('POST', '/v1/console/plans', {
        as: admin,
        body: { app: 'shop', settings: { name: 'bad', actionCount: 9 } },
      });
      assert.equal(bad.statusCode, 400, 'the plan service validates');
      const noApp = await call('POST', '/v1/console/plans', { as: admin, body: { app: 'nope', settings: {} } });
      assert.equal(noApp.statusCode, 404);
      const auditor = await signIn('audrey', 'auditor password 2');
      const listed = await call('GET', '/v1/console/plans?app=shop', { as: auditor });
      assert.deepEqual(
        listed.json().plans.map((p: { name: string; app: { name: string } }) => [p.app.name, p.name]),
        [['shop', 'console plan']],
      );
      const refused = await call('PATCH', `/v1/console/plans/${plan.id}`, { as: auditor, body: { disabled: true } });
      assert.equal(refused.statusCode, 403);
      const disabled = await call('PATCH', `/v1/console/plans/${plan.id}`, { as: admin, body: { disabled: true } });
      assert.equal(disabled.statusCode, 200, disabled.body);
      assert.equal(disabled.json().plan.disabled, true);
      assert.equal(
        (await call('PATCH', '/v1/console/plans/999999', { as: admin, body: { maxAttempts: 2 } })).statusCode,
        404,
      );
      const actions = await auditActions('console:admin');
      assert.ok(actions.includes('plan.create') && actions.includes('plan.update'));
    });

    test('plans: every setting edited through the console, the failing field named; a preview session', async () => {
      const created = await call('POST', '/v1/console/plans', {
        as: admin,
        body: { app: 'shop', settings: { name: 'preview plan', livenessMode: 'none', identityInput: 'preset' } },
      });
      assert.equal(created.statusCode, 200, created.body);
      const id = created.json().plan.id as number;
      const every = {
        name: 'preview plan 2',
        livenessMode: 'action',
        actionCount: 3,
        actionPool: ['blink', 'nod', 'mouth'],
        compareSource: 'registry',
        identityInput: 'preset',
        identityProvider: 'registry',
        threshold: { score: 75.5 },
        passiveLivenessThreshold: 0.4,
        maxAttempts: 5,
        invalidateOnFailure: true,
        successUrl: 'https://shop.example.com/ok',
        failureUrl: 'https://shop.example.com/no',
        callbackUrl: 'https://shop.example.com/cb',
        resultRetentionHours: 48,
        mediaRetentionHours: 12,
      };
      const edited = await call('PATCH', `/v1/console/plans/${id}`, { as: admin, body: every });
      assert.equal(edited.statusCode, 200, edited.body);
      const plan = edited.json().plan;
      for (const [k, v] of Object.entries(every)) {
        if (k === 'threshold') assert.deepEqual(plan.threshold, { score: 75.5, far: null });
        else assert.deepEqual(plan[k], v, k);
      }
      assert.equal(plan.callbackSecretSet, true);
      assert.equal(edited.json().callbackSecret.length, 32, 'a generated callback secret, shown once');
      for (const [body, field] of [
        [{ actionCount: 4 }, 'actionPool'],
        [{ threshold: { far: '1e-9' } }, 'threshold.far'],
        [{ passiveLivenessThreshold: 2 }, 'passiveLivenessThreshold'],
        [{ mediaRetentionHours: 49 }, 'mediaRetentionHours'],
        [{ successUrl: 'ftp://x' }, 'successUrl'],
        [{ identityInput: 'none' }, 'identityInput'],
      ] as const) {
        const res = await call('PATCH', `/v1/console/plans/${id}`, { as: admin, body });
        assert.equal(res.statusCode, 400, JSON.stringify(body));
        assert.equal(res.json().error.details.field, field, JSON.stringify(body));
      }
      const back = await call('PATCH', `/v1/console/plans/${id}`, {
        as: admin,
        body: { livenessMode: 'none', compareSource: 'none', callbackUrl: null },
      });
      assert.equal(back.statusCode, 200, back.body);
      assert.equal(back.json().plan.name, 'preview plan 2', 'unchanged settings stay');

      // The preview: a real session of the plan, marked, in the records but not in the statistics.
      const auditor = await signIn('audrey', 'auditor password 2');
      const refused = await call('POST', `/v1/console/plans/${id}/preview`, { as: auditor, body: {} });
      assert.equal(refused.statusCode, 403);
      const noCsrf = await call('POST', `/v1/console/plans/${id}/preview`, { as: admin, body: {}, csrf: null });
      assert.equal(noCsrf.statusCode, 403);
      const badId = await call('POST', `/v1/console/plans/${id}/preview`, {
        as: admin,
        body: { identity: { name: '王小明', idNumber: '110105194912310021' } },
      });
      assert.equal(badId.statusCode, 400, 'the identity is validated like any session identity');
      const preview = await call('POST', `/v1/console/plans/${id}/preview`, {
        as: admin,
        body: { identity: { name: '王小明', idNumber: '440304198510123458' } },
      });
      assert.equal(preview.statusCode, 200, preview.body);
      const { token, url } = preview.json();
      assert.equal(url, `${ORIGIN}/h5/?token=${token}`);
      const rec = await call('GET', `/v1/console/records/${token}`, { as: auditor });
      assert.equal(rec.statusCode, 200, rec.body);
      assert.equal(rec.json().preview, true);
      assert.equal(rec.json().outerOrderNo, 'preview-admin');
      assert.deepEqual(rec.json().identity, { name: '王**', idNumber: '440***********3458' });
      const list = await call('GET', `/v1/console/records?planId=${id}`, { as: admin });
      assert.deepEqual(
        list.json().records.map((r: { token: string; preview: boolean }) => [r.token, r.preview]),
        [[token, true]],
      );
      const stats = await call('GET', `/v1/console/statistics?planId=${id}`, { as: admin });
      assert.equal(stats.json().totals.total, 0, 'a preview is not traffic');
      const entry = (await core.repos.audit.list({ limit: 20 })).find(
        (e) => e.action === 'session.create' && e.target === rec.json().sessionId,
      );
      assert.equal(entry?.actor, 'console:admin');
      assert.deepEqual(entry?.details, { planId: id, preview: true });
      await call('PATCH', `/v1/console/plans/${id}`, { as: admin, body: { disabled: true } });
      const off = await call('POST', `/v1/console/plans/${id}/preview`, { as: admin, body: {} });
      assert.equal(off.statusCode, 409, 'a disabled plan takes no preview either');
      assert.equal((await call('POST', '/v1/console/plans/999999/preview', { as: admin, body: {} })).statusCode, 404);
    });

    test('records: search by OuterOrderNo and ID number (masked), keyset pages, detail, deletion', async () => {
      const planRes = await call('POST', '/v1/plans', {
        body: { name: 'console kyc', livenessMode: 'none', compareSource: 'none', identityInput: 'preset' },
      });
      assert.equal(planRes.statusCode, 200, planRes.body);
      const planId = planRes.json().plan.id;
      const tokens: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await call('POST', '/v1/sessions', {
          body: {
            planId,
            outerOrderNo: `order-${i}`,
            identity: { name: i === 3 ? '张三' : '李四', idNumber: i === 3 ? ID_A : ID_B },
          },
        });
        assert.equal(res.statusCode, 200, res.body);
        tokens.push(res.json().token);
        advance(1000);
      }
      // One finished record with a result code (the attempt flow itself is tested in the H5 session-flow test).
      const row = await core.repos.sessions.findByToken(tokens[1]!);
      await core.repos.sessions.update(row!.id, {
        status: 'failed',
        finished_at: clock,
        result: JSON.stringify({ passed: false, code: 'compare_failed', message: 'x', score: 41.5, threshold: 70 }),
      });

      const byOrder = await call('GET', '/v1/console/records?outerOrderNo=order-2', { as: admin });
      assert.equal(byOrder.statusCode, 200, byOrder.body);
      assert.deepEqual(
        byOrder.json().records.map((r: { token: string }) => r.token),
        [tokens[2]],
      );
      const r2 = byOrder.json().records[0];
      assert.equal(r2.app.name, 'default');
      assert.equal(r2.plan.name, 'console kyc');
      assert.deepEqual(r2.identity, { name: '李*', idNumber: '110***********4514' });

      const byId = await call('GET', `/v1/console/records?idNumber=${ID_A.toLowerCase()}`, { as: admin });
      assert.deepEqual(
        byId.json().records.map((r: { token: string }) => r.token),
        [tokens[3]],
      );
      assert.ok(!byId.body.includes(ID_A) && !byId.body.includes('张三'), 'identities only masked');
      assert.equal(
        (await call('GET', '/v1/console/records?idNumber=110101199003074515', { as: admin })).json().records.length,
        0,
      );
      const byCode = await call('GET', '/v1/console/records?resultCode=compare_failed', { as: admin });
      assert.deepEqual(
        byCode.json().records.map((r: { token: string }) => r.token),
        [tokens[1]],
      );
      assert.deepEqual(byCode.json().records[0].result, {
        passed: false,
        code: 'compare_failed',
        score: 41.5,
        threshold: 70,
      });
      const byStatus = await call('GET', `/v1/console/records?status=created&planId=${planId}`, { as: admin });
      assert.equal(byStatus.json().records.length, 4);
      const bad = await call('GET', '/v1/console/records?from=yesterday', { as: admin });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.details.field, 'from');
      assert.equal((await call('GET', '/v1/console/records?cursor=bm9wZQ', { as: admin })).statusCode, 400);

      // Keyset pages of 2: every record once, newest first.
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: LightMyRequestResponse = await call(
          'GET',
          `/v1/console/records?planId=${planId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          { as: admin },
        );
        assert.equal(page.statusCode, 200, page.body);
        seen.push(...page.json().records.map((r: { token: string }) => r.token));
        cursor = page.json().nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [...tokens].reverse());
      const window = await call(
        'GET',
        `/v1/console/records?planId=${planId}&from=${new Date(clock.getTime() - 3500).toISOString()}`,
        { as: admin },
      );
      assert.deepEqual(
        window.json().records.map((r: { token: string }) => r.token),
        [tokens[4], tokens[3], tokens[2]],
      );

      const detail = await call('GET', `/v1/console/records/${tokens[1]}`, { as: admin });
      assert.equal(detail.statusCode, 200, detail.body);
      const d = detail.json();
      assert.equal(d.status, 'failed');
      assert.equal(d.result.code, 'compare_failed');
      assert.equal(d.plan.name, 'console kyc');
      assert.equal(d.identity.idNumber, '110***********4514');
      assert.deepEqual(d.attempts, []);
      assert.equal((await call('GET', '/v1/console/records/BBBBBBBBBBBBBBBBBBBBBBBB', { as: admin })).statusCode, 404);
      assert.equal((await call('GET', `/v1/console/records/${tokens[1]}/images/best`, { as: admin })).statusCode, 404);

      const operator = await signIn('olga', 'operator password 1');
      const del = await call('DELETE', `/v1/console/records/${tokens[1]}`, { as: operator });
      assert.equal(del.statusCode, 204, del.body);
      assert.equal(await core.repos.sessions.findByToken(tokens[1]!), undefined, 'really deleted');
      assert.equal((await call('GET', `/v1/console/records/${tokens[1]}`, { as: admin })).statusCode, 404);
      assert.ok((await auditActions('console:olga')).includes('session.delete'));
    });

    test('statistics: per day in the operator time zone and per hour, by outcome and result code', async () => {
      const planId = (await core.repos.plans.findByName(
        (await core.repos.apps.findByName('default'))!.id,
        'console kyc',
      ))!.id;
      const day = await call(
        'GET',
        `/v1/console/statistics?planId=${planId}&timeZone=Asia/Shanghai&from=2026-04-01T00:00:00Z`,
        { as: admin },
      );
      assert.equal(day.statusCode, 200, day.body);
      // 08:00 UTC is 16:00 in Shanghai: one bucket for that local day; 4 records left after the deletion, all open.
      assert.deepEqual(day.json().buckets, [
        { start: '2026-05-01T00:00', total: 4, passed: 0, failed: 0, expired: 0, open: 4, passRate: null },
      ]);
      assert.equal(day.json().totals.total, 4);
      const late = await call(
        'GET',
        `/v1/console/statistics?planId=${planId}&timeZone=America/New_York&from=2026-04-01T00:00:00Z`,
        { as: admin },
      );
      assert.equal(late.json().buckets[0].start, '2026-05-01T00:00', '04:00 in New York, same local day');
      const row = await core.repos.sessions.findByToken(
        (await core.repos.records.search({ planId, limit: 1, now: clock }))[0]!.token,
      );
      await core.repos.sessions.update(row!.id, {
        status: 'passed',
        result: JSON.stringify({ passed: true, code: 'ok', message: 'ok', score: 90, threshold: 70 }),
      });
      advance(3 * 3600_000);
      assert.equal((await call('GET', '/v1/console/session', { as: admin })).statusCode, 401, 'idle for 3 h');
      admin = await signIn('admin', adminPassword);
      const hour = await call(
        'GET',
        `/v1/console/statistics?planId=${planId}&unit=hour&from=${new Date(clock.getTime() - 6 * 3600_000).toISOString()}`,
        { as: admin },
      );
      assert.equal(hour.statusCode, 200, hour.body);
      assert.equal(hour.json().timeZone, 'UTC');
      assert.deepEqual(hour.json().buckets, [
        { start: '2026-05-01T08:00', total: 4, passed: 1, failed: 0, expired: 3, open: 0, passRate: 100 },
      ]);
      assert.deepEqual(hour.json().codes, [{ code: 'ok', count: 1 }]);
      const other = await call('GET', `/v1/console/statistics?app=no-such-app`, { as: admin });
      assert.deepEqual(other.json().buckets, []);
      for (const [q, field] of [
        ['timeZone=Mars/Olympus', 'timeZone'],
        ['unit=hour&from=2026-01-01T00:00:00Z', 'from'],
        ['from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z', 'to'],
      ]) {
        const res = await call('GET', `/v1/console/statistics?${q}`, { as: admin });
        assert.equal(res.statusCode, 400, q);
        assert.equal(res.json().error.details.field, field, q);
      }
    });

    test('lockout: 5 failures lock the username (even the right password), then the window passes', async () => {
      const bad = await call('POST', '/v1/console/users', {
        as: admin,
        body: { username: 'lena', password: 'lena password 12', role: 'operator' },
      });
      assert.equal(bad.statusCode, 400, 'a password may not contain the username');
      const created = await call('POST', '/v1/console/users', {
        as: admin,
        body: { username: 'lena', password: 'correct horse 12', role: 'operator' },
      });
      assert.equal(created.statusCode, 200, created.body);
      for (let i = 0; i < 5; i++) {
        const r = await call('POST', '/v1/console/session', {
          body: { username: 'lena', password: `wrong ${i}` },
          ip: `198.51.100.${i}`,
        });
        assert.equal(r.statusCode, 401);
      }
      const locked = await call('POST', '/v1/console/session', {
        body: { username: 'lena', password: 'correct horse 12' },
        ip: '198.51.100.99',
      });
      assert.equal(locked.statusCode, 429, locked.body);
      assert.equal(locked.json().error.code, 'too_many_failures');
      assert.equal(locked.json().error.details.scope, 'user');
      assert.ok(Number(locked.headers['retry-after']) > 0 && Number(locked.headers['retry-after']) <= 900);
      assert.ok((await auditActions('console:lena')).includes('console.sign_in_locked'));
      advance(15 * 60_000 + 1000);
      await signIn('lena', 'correct horse 12', '198.51.100.99');
    });

    test('lockout per address: 5 failures from one address lock it for every username', async () => {
      const ip = '192.0.2.77';
      for (let i = 0; i < 5; i++) {
        const r = await call('POST', '/v1/console/session', { body: { username: `nobody${i}`, password: 'x' }, ip });
        assert.equal(r.statusCode, 401);
      }
      const locked = await call('POST', '/v1/console/session', {
        body: { username: 'admin', password: adminPassword },
        ip,
      });
      assert.equal(locked.statusCode, 429);
      assert.equal(locked.json().error.details.scope, 'ip');
      await signIn('admin', adminPassword, '192.0.2.78');
    });

    test('sessions end when idle, when the password changes elsewhere, and when the user is disabled', async () => {
      const a = await signIn('lena', 'correct horse 12');
      const b = await signIn('lena', 'correct horse 12');
      advance(29 * 60_000);
      assert.equal((await call('GET', '/v1/console/session', { as: a })).statusCode, 200, 'used within 30 min');
      advance(29 * 60_000);
      assert.equal((await call('GET', '/v1/console/session', { as: a })).statusCode, 200);
      assert.equal((await call('GET', '/v1/console/session', { as: b })).statusCode, 401, 'idle for 58 min');
      const c = await signIn('lena', 'correct horse 12');
      const wrongCurrent = await call('PUT', '/v1/console/session/password', {
        as: a,
        body: { currentPassword: 'nope', newPassword: 'correct horse 34' },
      });
      assert.equal(wrongCurrent.statusCode, 403);
      const pw = await call('PUT', '/v1/console/session/password', {
        as: a,
        body: { currentPassword: 'correct horse 12', newPassword: 'correct horse 34' },
      });
      assert.equal(pw.statusCode, 204, pw.body);
      assert.equal((await call('GET', '/v1/console/session', { as: a })).statusCode, 200, 'this session stays');
      assert.equal((await call('GET', '/v1/console/session', { as: c })).statusCode, 401, 'the other one ended');
      const lena = (await call('GET', '/v1/console/session', { as: a })).json().user;
      assert.equal((await call('GET', '/v1/console/session', { as: admin })).statusCode, 401, 'admin was idle too');
      admin = await signIn('admin', adminPassword);
      const dis = await call('PATCH', `/v1/console/users/${lena.id}`, { as: admin, body: { disabled: true } });
      assert.equal(dis.statusCode, 200, dis.body);
      assert.equal((await call('GET', '/v1/console/session', { as: a })).statusCode, 401);
      const again = await call('POST', '/v1/console/session', {
        body: { username: 'lena', password: 'correct horse 34' },
      });
      assert.equal(again.statusCode, 401, 'a disabled user cannot sign in');
    });
  });
}
