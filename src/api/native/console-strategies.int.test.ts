/**
 * Attempt limits and device blacklisting on both database backends: rules through the console API (admins and
 * operators change, auditors list, CSRF, validation, audit); each dimension enforced by the session engine and lifted
 * once the window passes (injected clock): sessions per ID number (create / setIdentity / the H5 identity step,
 * rate_limited), failed attempts per device and per address (H5 challenge and attempt, too_many_failures); scoping by
 * app and plan; the H5 page's device header (validated, kept only as a keyed digest) and a listed device refused
 * through the H5 routes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { BACKENDS } from '../../../test/helpers.js';
import type { Core } from '../../core.js';
import type { FrameFeatures } from '../../engine/types.js';
import { isShirenError } from '../../errors.js';
import { createPlanService } from '../../verify/plans.js';
import type { FrameAnalyser, SessionService } from '../../verify/sessions.js';
import { createStrategyService, type StrategyService } from '../../verify/strategies.js';
import { consoleClient, openConsoleTestApp, type ConsoleTestApp, type Signed } from './console-test-helpers.js';

/** Every frame without a face: each attempt is recorded as a failure (face_not_found), no engine needed. */
const noFaceAnalyser: FrameAnalyser = {
  analyse: async (frames) =>
    frames.map((): FrameFeatures => ({
      width: 640,
      height: 480,
      faceCount: 0,
      yaw: 0,
      pitch: 0,
      roll: 0,
      leftEye: 0,
      rightEye: 0,
      mouth: 0,
      faceColour: [0, 0, 0],
      backgroundColour: [0, 0, 0],
    })),
};
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]).toString('base64');
const FRAMES = [0, 100, 200, 300].map((t) => ({ t, step: 'neutral', image: JPEG }));
const ID_A = '11010519491231002X';
const ID_B = '110101199003074514';
const DEVICE_A = '3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b';
const DEVICE_B = '9e8d7c6b-5a49-4837-a625-14f3e2d1c0b9';
const MINUTE = 60_000;

async function refusal(p: Promise<unknown>): Promise<{ reason: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    assert.ok(isShirenError(err), String(err));
    return { reason: err.reason, details: err.details ?? {} };
  }
  assert.fail('expected a refusal');
}

for (const backend of BACKENDS) {
  describe(`attempt limits and devices on ${backend.name}`, () => {
    let app: FastifyInstance;
    let core: Core;
    let t: ConsoleTestApp;
    let sessions: SessionService;
    let admin: Signed;
    let auditor: Signed;
    let operator: Signed;
    let appId: string;
    let otherAppId: string;
    let presetPlan: number;
    let presetPlan2: number;
    let userPlan: number;
    let openPlan: number;
    let openPlan2: number;
    let otherAppPlan: number;
    let otherOpenPlan: number;
    let clock = new Date('2026-06-01T08:00:00Z');
    const advance = (minutes: number) => (clock = new Date(clock.getTime() + minutes * MINUTE));

    const { call, assertGuarded, assertInvalidFields } = consoleClient({ app: () => app, ip: '192.0.2.10' });

    async function rule(body: Record<string, unknown>, as: Signed = operator) {
      const res = await call('POST', '/v1/console/strategies', { as, body });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as { id: number; appId: string | null; planId: number | null; enabled: boolean };
    }
    async function drop(id: number) {
      assert.equal((await call('DELETE', `/v1/console/strategies/${id}`, { as: admin })).statusCode, 204);
    }

    const h5 = (token: string, what: 'challenge' | 'attempts', ip: string, device?: string, body: unknown = {}) =>
      call('POST', `/h5/api/sessions/${token}/${what}`, {
        ip,
        body,
        ...(device ? { headers: { 'x-shiren-device': device } } : {}),
      });

    /** One failed attempt (challenge + upload) from this address and device. */
    async function fail(token: string, ip: string, device?: string) {
      const c = await h5(token, 'challenge', ip, device);
      assert.equal(c.statusCode, 200, c.body);
      const a = await h5(token, 'attempts', ip, device, { challengeId: c.json().challengeId, frames: FRAMES });
      assert.equal(a.statusCode, 200, a.body);
      assert.equal(a.json().code, 'face_not_found');
    }
    const open = async (planId = openPlan, app = appId) => (await sessions.create(app, { planId }, 'test')).token;

    before(async () => {
      const now = () => clock;
      /** One strategy service, enforced by the session engine and changed through the console. */
      let strategies: StrategyService | undefined;
      t = await openConsoleTestApp({
        backend,
        ip: '192.0.2.10',
        now,
        h5: true,
        sessionDeps: (core) => {
          strategies = createStrategyService({
            strategies: core.repos.strategies,
            apps: core.repos.apps,
            plans: core.repos.plans,
            audit: core.repos.audit,
            now,
          });
          return {
            analyser: noFaceAnalyser,
            // the built-in address failure limit out of the way: these tests are about the rules
            limits: { ipFailureLimit: 1000, ipFailureWindowSeconds: 180, maxImageBytes: 1 << 20 },
            blacklist: core.repos.blacklist,
            strategies,
          };
        },
        consoleOptions: () => ({ strategies, policy: { idleSeconds: 30 * 24 * 3600 } }),
      });
      assert.ok(strategies && t.deps.strategies === strategies);
      ({ app, core, sessions } = t);
      const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring, now });
      appId = (await core.accessKeys.ensureApp('limits-app')).id;
      otherAppId = (await core.accessKeys.ensureApp('limits-other')).id;
      const mk = async (a: string, name: string, identityInput: 'preset' | 'user' | 'none') =>
        (await plans.create(a, { name, livenessMode: 'none', identityInput, maxAttempts: 3 }, 'test')).plan.id;
      presetPlan = await mk(appId, 'lim-preset', 'preset');
      presetPlan2 = await mk(appId, 'lim-preset-2', 'preset');
      userPlan = await mk(appId, 'lim-user', 'user');
      openPlan = await mk(appId, 'lim-open', 'none');
      openPlan2 = await mk(appId, 'lim-open-2', 'none');
      otherAppPlan = await mk(otherAppId, 'lim-other', 'preset');
      otherOpenPlan = await mk(otherAppId, 'lim-other-open', 'none');
      admin = await t.signInAdmin();
      auditor = await t.addUser('alice', 'auditor');
      operator = await t.addUser('oscar', 'operator');
    });
    after(() => t?.close());

    test('auditors list but may not change; CSRF required; invalid rules name the field; changes audited', async () => {
      const body = { dimension: 'ip', maxCount: 5, windowMinutes: 10 };
      await assertGuarded('POST', '/v1/console/strategies', {
        body,
        denied: auditor,
        requires: 'operate',
        allowed: admin,
      });
      const cases: [Record<string, unknown>, string][] = [
        [{ ...body, dimension: 'phone' }, 'dimension'],
        [{ maxCount: 5, windowMinutes: 10 }, 'dimension'],
        [{ ...body, maxCount: 0 }, 'maxCount'],
        [{ ...body, maxCount: 1.5 }, 'maxCount'],
        [{ ...body, maxCount: '5' }, 'maxCount'],
        [{ ...body, windowMinutes: 0 }, 'windowMinutes'],
        [{ ...body, windowMinutes: 43_201 }, 'windowMinutes'],
        [{ ...body, appId: 'app_nope' }, 'appId'],
        [{ ...body, planId: 999_999 }, 'planId'],
        [{ ...body, planId: otherAppPlan, appId }, 'planId'],
        [{ ...body, enabled: 'yes' }, 'enabled'],
        [{ ...body, perHour: 3 }, 'perHour'],
      ];
      await assertInvalidFields('POST', '/v1/console/strategies', admin, cases);
      assert.equal((await call('GET', '/v1/console/strategies', { as: auditor })).json().strategies.length, 0);

      const r = await rule({ ...body, planId: openPlan });
      assert.equal(r.appId, appId, "a plan's rule takes the plan's app");
      assert.equal(r.enabled, true);
      const list = (await call('GET', '/v1/console/strategies', { as: auditor })).json().strategies;
      assert.deepEqual(
        list.map((s: Record<string, unknown>) => [s.dimension, s.maxCount, s.windowMinutes, s.planId, s.createdBy]),
        [['ip', 5, 10, openPlan, 'console:oscar']],
      );
      assert.equal((await call('PATCH', `/v1/console/strategies/${r.id}`, { as: auditor, body: {} })).statusCode, 403);
      assert.equal((await call('DELETE', `/v1/console/strategies/${r.id}`, { as: auditor })).statusCode, 403);
      const bad = await call('PATCH', `/v1/console/strategies/${r.id}`, { as: operator, body: { maxCount: 0 } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.details.field, 'maxCount');
      const noCsrfPatch = await call('PATCH', `/v1/console/strategies/${r.id}`, {
        as: operator,
        body: { enabled: false },
        csrf: null,
      });
      assert.equal(noCsrfPatch.statusCode, 403);
      const moved = await call('PATCH', `/v1/console/strategies/${r.id}`, {
        as: operator,
        body: { planId: otherOpenPlan, enabled: false },
      });
      assert.equal(moved.statusCode, 200, moved.body);
      assert.equal(moved.json().appId, otherAppId);
      assert.equal(moved.json().enabled, false);
      assert.equal(moved.json().maxCount, 5, 'fields not given are kept');
      assert.equal((await call('PATCH', '/v1/console/strategies/99999', { as: admin, body: {} })).statusCode, 404);
      assert.equal((await call('DELETE', `/v1/console/strategies/${r.id}`, { as: operator })).statusCode, 204);
      assert.equal((await call('DELETE', `/v1/console/strategies/${r.id}`, { as: operator })).statusCode, 404);
      const audit = (await core.repos.audit.list({ limit: 200 })).filter((a) => a.action.startsWith('strategy.'));
      assert.deepEqual(audit.map((a) => a.action).sort(), ['strategy.create', 'strategy.delete', 'strategy.update']);
      assert.ok(audit.every((a) => a.actor === 'console:oscar' && a.target === String(r.id)));
      const update = audit.find((a) => a.action === 'strategy.update')!;
      assert.deepEqual((update.details as { changed: string[] }).changed, ['planId', 'enabled']);
    });

    test('sessions per ID number: create, setIdentity and the H5 identity step refused at the limit, lifted after the window', async () => {
      const r = await rule({ dimension: 'id_number', maxCount: 2, windowMinutes: 60, appId });
      const identity = { name: '张三', idNumber: ID_A };
      const t0 = clock.getTime();
      await sessions.create(appId, { planId: presetPlan, identity }, 'test');
      advance(10);
      await sessions.create(appId, { planId: presetPlan2, identity }, 'test');
      advance(10);
      const third = await refusal(sessions.create(appId, { planId: presetPlan, identity }, 'test'));
      assert.equal(third.reason, 'rate_limited');
      // the oldest of the two counted sessions leaves the window 60 min after t0: 40 min from now
      assert.deepEqual(third.details, {
        limit: 2,
        windowMinutes: 60,
        dimension: 'id_number',
        retryAfterSeconds: 40 * 60,
        strategyId: r.id,
      });
      assert.equal(clock.getTime() - t0, 20 * MINUTE);
      // another ID number and another app are not limited by this app's rule
      await sessions.create(appId, { planId: presetPlan, identity: { name: '李四', idNumber: ID_B } }, 'test');
      await sessions.create(otherAppId, { planId: otherAppPlan, identity }, 'test');
      const later = await sessions.create(appId, { planId: presetPlan }, 'test');
      assert.equal((await refusal(sessions.setIdentity(appId, later.token, identity, 'test'))).reason, 'rate_limited');
      const user = await open(userPlan);
      const viaH5 = await call('POST', `/h5/api/sessions/${user}/identity`, { body: identity });
      assert.equal(viaH5.statusCode, 429, viaH5.body);
      assert.equal(viaH5.json().error.code, 'rate_limited');
      assert.equal(viaH5.json().error.details.dimension, 'id_number');
      assert.equal(viaH5.headers['retry-after'], String(40 * 60));
      // refusals were not recorded: once the first session leaves the window one more is allowed, then refused again
      advance(41);
      await sessions.setIdentity(appId, later.token, identity, 'test');
      // setting it again on the same session does not count that session twice
      await sessions.setIdentity(appId, later.token, identity, 'test');
      assert.equal((await refusal(sessions.h5Identity(user, identity))).reason, 'rate_limited');
      // a disabled rule does not apply
      await call('PATCH', `/v1/console/strategies/${r.id}`, { as: operator, body: { enabled: false } });
      await sessions.h5Identity(user, identity);
      await drop(r.id);
    });

    test('ID-number rules scoped to a plan count and limit only that plan; a global rule counts every app', async () => {
      advance(120);
      const identity = { name: '王五', idNumber: ID_B };
      const r = await rule({ dimension: 'id_number', maxCount: 1, windowMinutes: 30, planId: presetPlan });
      await sessions.create(appId, { planId: presetPlan2, identity }, 'test');
      await sessions.create(appId, { planId: presetPlan, identity }, 'test');
      assert.equal(
        (await refusal(sessions.create(appId, { planId: presetPlan, identity }, 'test'))).reason,
        'rate_limited',
      );
      await sessions.create(appId, { planId: presetPlan2, identity }, 'test');
      await drop(r.id);
      advance(120);
      const g = await rule({ dimension: 'id_number', maxCount: 2, windowMinutes: 30 });
      await sessions.create(appId, { planId: presetPlan, identity }, 'test');
      await sessions.create(otherAppId, { planId: otherAppPlan, identity }, 'test');
      const refused = await refusal(sessions.create(appId, { planId: presetPlan2, identity }, 'test'));
      assert.equal(refused.details.strategyId, g.id);
      await drop(g.id);
    });

    test('failed attempts per device: challenge and upload refused at the limit, other devices not, lifted after the window', async () => {
      advance(120);
      const r = await rule({ dimension: 'device', maxCount: 2, windowMinutes: 10, planId: openPlan });
      const ip = '198.51.100.20';
      const s1 = await open();
      await fail(s1, ip, DEVICE_A);
      // a challenge taken while under the limit, uploaded after the limit was reached
      const pending = await h5(s1, 'challenge', ip, DEVICE_A);
      assert.equal(pending.statusCode, 200, pending.body);
      advance(2);
      await fail(s1, ip, DEVICE_A.toUpperCase()); // the same device, the id is case-insensitive
      const s2 = await open();
      const refused = await h5(s2, 'challenge', ip, DEVICE_A);
      assert.equal(refused.statusCode, 429, refused.body);
      assert.equal(refused.json().error.code, 'too_many_failures');
      assert.deepEqual(refused.json().error.details, {
        limit: 2,
        windowMinutes: 10,
        dimension: 'device',
        retryAfterSeconds: 8 * 60,
        strategyId: r.id,
      });
      const upload = await h5(s1, 'attempts', ip, DEVICE_A, {
        challengeId: pending.json().challengeId,
        frames: FRAMES,
      });
      assert.equal(upload.statusCode, 429, upload.body);
      assert.equal(upload.json().error.details.dimension, 'device');
      // the same address with another device, or without the header, is not limited by a device rule
      assert.equal((await h5(s2, 'challenge', ip, DEVICE_B)).statusCode, 200);
      assert.equal((await h5(s2, 'challenge', ip)).statusCode, 200);
      // the rule covers one plan only
      assert.equal((await h5(await open(openPlan2), 'challenge', ip, DEVICE_A)).statusCode, 200);
      advance(8);
      const lifted = await h5(s2, 'challenge', ip, DEVICE_A);
      assert.equal(lifted.statusCode, 200, lifted.body);
      // the attempts carry the device's keyed digest only
      const rows = await core.store.db
        .selectFrom('verify_attempt')
        .select(['device_digest'])
        .where('client_ip_digest', '=', core.keyring.digest('client-ip', ip))
        .execute();
      assert.deepEqual(
        rows.map((x) => x.device_digest),
        [core.keyring.digest('device', DEVICE_A), core.keyring.digest('device', DEVICE_A)],
      );
      await drop(r.id);
    });

    test('failed attempts per address: app scope, refused at the limit, lifted after the window', async () => {
      advance(120);
      const r = await rule({ dimension: 'ip', maxCount: 3, windowMinutes: 5, appId });
      const ip = '203.0.113.50';
      const s1 = await open();
      await fail(s1, ip, DEVICE_A);
      await fail(s1, ip, DEVICE_B);
      advance(1);
      await fail(s1, ip);
      const s2 = await open(openPlan2);
      const refused = await h5(s2, 'challenge', ip);
      assert.equal(refused.statusCode, 429, refused.body);
      assert.equal(refused.json().error.code, 'too_many_failures');
      assert.equal(refused.json().error.details.dimension, 'ip');
      assert.equal(refused.json().error.details.limit, 3);
      assert.equal(refused.json().error.details.retryAfterSeconds, 4 * 60);
      assert.equal(refused.headers['retry-after'], String(4 * 60));
      assert.equal((await h5(s2, 'challenge', '203.0.113.51')).statusCode, 200, 'another address');
      assert.equal((await h5(await open(otherOpenPlan, otherAppId), 'challenge', ip)).statusCode, 200, 'another app');
      advance(4);
      assert.equal((await h5(s2, 'challenge', ip)).statusCode, 200);
      await drop(r.id);
    });

    test('the device header: junk refused, a device blacklisted by its digest or its id, shown in the record detail', async () => {
      const ip = '192.0.2.77';
      const s = await open();
      for (const junk of ['not-a-device', `${DEVICE_A}x`, '3f2b8c1e-5d4a-1e6f-9a7b-1c2d3e4f5a6b']) {
        const res = await call('GET', `/h5/api/sessions/${s}`, { ip, headers: { 'x-shiren-device': junk } });
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json().error.code, 'invalid_request');
        assert.equal(res.json().error.details.field, 'x-shiren-device');
      }
      const junkChallenge = await h5(s, 'challenge', ip, 'junk');
      assert.equal(junkChallenge.statusCode, 400);
      assert.equal((await h5(s, 'challenge', ip, DEVICE_A)).statusCode, 200);
      const detail = (await call('GET', `/v1/console/records/${s}`, { as: auditor })).json();
      const digest = core.keyring.digest('device', DEVICE_A);
      assert.deepEqual(detail.device, { digest, prefix: digest.slice(0, 12) });

      const bad = await call('POST', '/v1/console/blacklist', {
        as: operator,
        body: { kind: 'device', value: 'abc' },
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.details.field, 'value');
      const added = await call('POST', '/v1/console/blacklist', {
        as: operator,
        body: { kind: 'device', value: detail.device.digest, reason: `record ${s}` },
      });
      assert.equal(added.statusCode, 200, added.body);
      assert.equal(added.json().masked, `${digest.slice(0, 12)}…`);
      const refused = await h5(s, 'challenge', ip, DEVICE_A);
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().error.code, 'forbidden');
      assert.equal(refused.json().error.details.blacklisted, 'device');
      const ok = await h5(s, 'challenge', ip, DEVICE_B);
      assert.equal(ok.statusCode, 200);
      // by the device id itself (as the page keeps it), scoped to the other app: this app is not affected
      const byId = await call('POST', '/v1/console/blacklist', {
        as: admin,
        body: { kind: 'device', value: DEVICE_B.toUpperCase(), appId: otherAppId },
      });
      assert.equal(byId.statusCode, 200, byId.body);
      assert.equal((await h5(s, 'challenge', ip, DEVICE_B)).statusCode, 200);
      const other = await open(otherOpenPlan, otherAppId);
      assert.equal((await h5(other, 'challenge', ip, DEVICE_B)).json().error.details.blacklisted, 'device');
      const upload = await h5(s, 'attempts', ip, DEVICE_A, { challengeId: ok.json().challengeId, frames: FRAMES });
      assert.equal(upload.statusCode, 403);
      assert.equal(upload.json().error.details.blacklisted, 'device');

      const rows = await core.store.db.selectFrom('blacklist_entry').selectAll().where('kind', '=', 'device').execute();
      assert.deepEqual(rows.map((x) => x.digest).sort(), [digest, core.keyring.digest('device', DEVICE_B)].sort());
      const dump = JSON.stringify([
        rows,
        await core.store.db.selectFrom('verify_session').selectAll().execute(),
        await core.store.db.selectFrom('verify_attempt').selectAll().execute(),
        await core.repos.audit.list({ limit: 500 }),
      ]);
      for (const id of [DEVICE_A, DEVICE_B]) assert.ok(!dump.toLowerCase().includes(id), 'no raw device id stored');
      const listed = (await call('GET', '/v1/console/blacklist?kind=device', { as: auditor })).json().entries;
      assert.equal(listed.length, 2);
      assert.ok(!JSON.stringify(listed).includes(digest), 'the list shows the prefix, not the whole digest');
    });

    test('the counts can use the migration-0011 indexes', async () => {
      // one connection (a pool would run the set on another one); the tables are tiny, so forbid sequential scans
      await core.store.db.connection().execute(async (db) => {
        await sql`set enable_seqscan = off`.execute(db);
        try {
          const plan = async (q: string) =>
            (await sql.raw<Record<string, string>>(`explain ${q}`).execute(db)).rows
              .map((r) => Object.values(r).join(' '))
              .join('\n');
          const byId = await plan(
            `select created_at from verify_session where identity_number_digest = 'x' and created_at > now() - interval '1 hour' order by created_at desc offset 1 limit 1`,
          );
          assert.match(byId, /verify_session_identity_time_idx/, byId);
          const byDevice = await plan(
            `select a.finished_at from verify_attempt a join verify_session s on s.id = a.session_id where a.device_digest = 'x' and a.passed = false and a.finished_at > now() - interval '1 hour' order by a.finished_at desc offset 1 limit 1`,
          );
          assert.match(byDevice, /verify_attempt_device_failed_idx/, byDevice);
        } finally {
          await sql`reset enable_seqscan`.execute(db);
        }
      });
    });
  });
}
