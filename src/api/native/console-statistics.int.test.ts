/**
 * Statistics breakdowns on both database backends (docs/console.md "Statistics"): a seeded set of sessions whose
 * identities go through create, setIdentity and the H5 identity step (province from the ID number) and whose user
 * agents go through the H5 challenge (device OS), counted exactly per plan, app, OS, province, failure stage and
 * result code; filters, validation with details.field, pass rates per bucket, and migration 0012's OS backfill
 * compared with deviceOs() on real user agents.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { BACKENDS } from '../../../test/helpers.js';
import { USER_AGENTS } from '../../../test/user-agents.js';
import type { Core } from '../../core.js';
import { backfillDeviceOs } from '../../store/migrations/0012-statistics-dimensions.js';
import type { SessionStatus } from '../../store/schema.js';
import { deviceOs } from '../../verify/dimensions.js';
import { createPlanService } from '../../verify/plans.js';
import type { SessionService } from '../../verify/sessions.js';
import { consoleClient, openConsoleTestApp, type ConsoleTestApp, type Signed } from './console-test-helpers.js';

/** A mainland ID number with its GB 11643 check digit. */
function idNumber(first17: string): string {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * w[i]!, 0);
  return first17 + '10X98765432'[sum % 11]!;
}

const UA = Object.fromEntries(USER_AGENTS.map(([os, ua], i) => [i === 7 ? 'WeChat' : os, ua])) as Record<
  string,
  string
>;

type Group = { key: string; total: number; passed: number; failed: number; expired: number; open: number };
const counts = (gs: (Group & Record<string, unknown>)[]) =>
  Object.fromEntries(gs.map((g) => [g.key, [g.total, g.passed, g.failed, g.expired, g.open]]));

for (const backend of BACKENDS) {
  describe(`statistics breakdown on ${backend.name}`, () => {
    let app: FastifyInstance;
    let core: Core;
    let t: ConsoleTestApp;
    let sessions: SessionService;
    let admin: Signed;
    let auditor: Signed;
    let clock = new Date('2026-05-01T08:00:00Z');
    const plan: Record<'A' | 'B' | 'C', number> = { A: 0, B: 0, C: 0 };
    let appOne: string;
    let appTwo: string;

    const { call } = consoleClient({ app: () => app, ip: '192.0.2.10' });
    const get = async (q: string, as = admin) => {
      const res = await call('GET', `/v1/console/statistics/breakdown?${q}`, { as });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    };

    async function finish(sessionId: string, status: SessionStatus, code: string) {
      await core.repos.sessions.update(sessionId, {
        status,
        finished_at: clock,
        result: JSON.stringify({ passed: code === 'ok', code, message: code, score: null, threshold: null }),
      });
    }
    const challenge = (token: string, ua: string) =>
      sessions.issueChallenge(token, { ip: '198.51.100.7', userAgent: ua });

    before(async () => {
      const now = () => clock;
      t = await openConsoleTestApp({
        backend,
        ip: '192.0.2.10',
        now,
        sessionDeps: () => ({ limits: { ipFailureLimit: 50, ipFailureWindowSeconds: 180, maxImageBytes: 1 << 20 } }),
        consoleOptions: () => ({ policy: { idleSeconds: 30 * 24 * 3600 } }),
      });
      ({ app, core, sessions } = t);
      const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring, now });
      appOne = (await core.accessKeys.ensureApp('stats-one')).id;
      appTwo = (await core.accessKeys.ensureApp('stats-two')).id;
      const mk = async (a: string, name: string, identityInput: 'preset' | 'user' | 'none') =>
        (await plans.create(a, { name, livenessMode: 'none', compareSource: 'none', identityInput }, 'test')).plan.id;
      plan.A = await mk(appOne, 'stats preset', 'preset');
      plan.B = await mk(appOne, 'stats user', 'user');
      plan.C = await mk(appTwo, 'stats open', 'none');
      admin = await t.signInAdmin();
      auditor = await t.addUser('audra', 'auditor', 'auditor password 12');

      // 40 days ago, outside the default window of 30 days.
      const t0 = clock;
      clock = new Date(t0.getTime() - 40 * 86400_000);
      const old = await sessions.create(appTwo, { planId: plan.C }, 'test');
      await challenge(old.token, UA.Linux!);
      clock = t0;

      const id = (name: string, number: string) => ({ name, idNumber: number });
      // Preset plan: identity given with the session (1–3) or set later (4).
      const s1 = await sessions.create(appOne, { planId: plan.A, identity: id('甲', '11010519491231002X') }, 't');
      await challenge(s1.token, UA.iOS!);
      await finish(s1.sessionId, 'passed', 'ok');
      const s2 = await sessions.create(appOne, { planId: plan.A, identity: id('乙', '110101199003074514') }, 't');
      await challenge(s2.token, UA.Android!);
      await finish(s2.sessionId, 'failed', 'compare_failed');
      const s3 = await sessions.create(
        appOne,
        { planId: plan.A, identity: id('丙', idNumber('44052418800101001')) },
        't',
      );
      await challenge(s3.token, UA.HarmonyOS!);
      await finish(s3.sessionId, 'failed', 'liveness_action_missing');
      const s4 = await sessions.create(appOne, { planId: plan.A }, 't');
      await sessions.setIdentity(appOne, s4.token, id('丁', idNumber('44030019900101123')), 't');
      await challenge(s4.token, UA.Windows!);
      await finish(s4.sessionId, 'failed', 'face_not_found');
      // User plan: the person types the identity on the H5 page; 99 is no province, a passport has none.
      const s5 = await sessions.create(appOne, { planId: plan.B }, 't');
      await sessions.h5Identity(s5.token, id('戊', idNumber('99010119900101123')));
      await challenge(s5.token, UA.macOS!);
      await finish(s5.sessionId, 'passed', 'ok');
      const s6 = await sessions.create(appOne, { planId: plan.B }, 't');
      await sessions.h5Identity(s6.token, id('Ann Lee', 'M1234567'));
      // No identity.
      const s7 = await sessions.create(appTwo, { planId: plan.C }, 't');
      await challenge(s7.token, UA.Linux!);
      await finish(s7.sessionId, 'expired', 'session_expired');
      const s8 = await sessions.create(appTwo, { planId: plan.C }, 't');
      await challenge(s8.token, UA.WeChat!);
      await finish(s8.sessionId, 'failed', 'liveness_passive_failed');
      clock = new Date(clock.getTime() + 60_000); // a window ends before its `to`: now, one minute later
    });
    after(() => t?.close());

    test('only the 2-digit province code and the OS are stored with the session', async () => {
      const rows = await core.store.db
        .selectFrom('verify_session')
        .select(['id_province', 'device_os', 'identity_number_enc'])
        .where('created_at', '>=', new Date(clock.getTime() - 86400_000))
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      assert.equal(rows.length, 8);
      assert.deepEqual(rows.map((r) => r.id_province).sort(), ['11', '11', '44', '44', '99', null, null, null].sort());
      assert.deepEqual(
        rows.map((r) => r.device_os).sort(),
        ['iOS', 'Android', 'HarmonyOS', 'Windows', 'macOS', null, 'Linux', 'iOS'].sort(),
      );
    });

    test('per plan, per app, by OS, by province: exact counts and pass rates', async () => {
      const byPlan = await get('by=plan', auditor);
      assert.deepEqual(counts(byPlan.groups), {
        [plan.A]: [4, 1, 3, 0, 0],
        [plan.B]: [2, 1, 0, 0, 1],
        [plan.C]: [2, 0, 1, 1, 0],
      });
      const a = byPlan.groups.find((g: Group) => g.key === String(plan.A));
      assert.equal(a.name, 'stats preset');
      assert.equal(a.app, 'stats-one');
      assert.equal(a.passRate, 25);
      assert.equal(byPlan.groups.find((g: Group) => g.key === String(plan.B)).passRate, 100);
      assert.equal(byPlan.groups.find((g: Group) => g.key === String(plan.C)).passRate, 0);
      assert.deepEqual(byPlan.totals, { total: 8, passed: 2, failed: 4, expired: 1, open: 1, passRate: 33.3 });
      assert.equal(byPlan.groups[0].key, String(plan.A), 'largest first');

      const byApp = await get('by=app');
      assert.deepEqual(counts(byApp.groups), { [appOne]: [6, 2, 3, 0, 1], [appTwo]: [2, 0, 1, 1, 0] });
      assert.equal(byApp.groups[0].name, 'stats-one');
      assert.equal(byApp.groups[0].passRate, 40);

      const byOs = await get('by=os');
      assert.deepEqual(counts(byOs.groups), {
        iOS: [2, 1, 1, 0, 0],
        Android: [1, 0, 1, 0, 0],
        HarmonyOS: [1, 0, 1, 0, 0],
        Windows: [1, 0, 1, 0, 0],
        macOS: [1, 1, 0, 0, 0],
        Linux: [1, 0, 0, 1, 0],
        unknown: [1, 0, 0, 0, 1],
      });

      const byProvince = await get('by=province');
      assert.deepEqual(counts(byProvince.groups), {
        '11': [2, 1, 1, 0, 0],
        '44': [2, 0, 2, 0, 0],
        unknown: [2, 1, 0, 0, 1],
        none: [2, 0, 1, 1, 0],
      });
      const gd = byProvince.groups.find((g: Group) => g.key === '44');
      assert.deepEqual(gd.label, { zh: '广东省', en: 'Guangdong' });
      assert.equal(gd.passRate, 0);
      assert.deepEqual(byProvince.groups.find((g: Group) => g.key === 'unknown').label, { zh: '未知', en: 'Unknown' });
    });

    test('by failure stage and by result code', async () => {
      const byStage = await get('by=stage');
      assert.deepEqual(counts(byStage.groups), {
        passed: [2, 2, 0, 0, 0],
        liveness: [2, 0, 2, 0, 0],
        comparison: [1, 0, 1, 0, 0],
        capture: [1, 0, 1, 0, 0],
        expired: [1, 0, 0, 1, 0],
        open: [1, 0, 0, 0, 1],
      });
      const byReason = await get('by=reason');
      assert.deepEqual(counts(byReason.groups), {
        ok: [2, 2, 0, 0, 0],
        compare_failed: [1, 0, 1, 0, 0],
        liveness_action_missing: [1, 0, 1, 0, 0],
        liveness_passive_failed: [1, 0, 1, 0, 0],
        face_not_found: [1, 0, 1, 0, 0],
        session_expired: [1, 0, 0, 1, 0],
        open: [1, 0, 0, 0, 1],
      });
    });

    test('filters (plan, app, window), an unknown app, and validation with details.field', async () => {
      assert.deepEqual(counts((await get(`by=stage&planId=${plan.C}`)).groups), {
        expired: [1, 0, 0, 1, 0],
        liveness: [1, 0, 1, 0, 0],
      });
      assert.deepEqual(counts((await get('by=os&app=stats-two')).groups), {
        Linux: [1, 0, 0, 1, 0],
        iOS: [1, 0, 1, 0, 0],
      });
      assert.deepEqual((await get('by=plan&app=no-such-app')).groups, []);
      const wide = await get(`by=plan&from=${new Date(clock.getTime() - 60 * 86400_000).toISOString()}`);
      assert.equal(wide.totals.total, 9, 'the session of 40 days ago');
      assert.deepEqual(counts(wide.groups)[plan.C], [3, 0, 1, 2, 0], 'open, long past its expiry');
      for (const [q, field] of [
        ['', 'by'],
        ['by=device', 'by'],
        ['by=plan&from=yesterday', 'from'],
        ['by=plan&from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z', 'to'],
        ['by=plan&from=2024-01-01T00:00:00Z', 'from'],
      ]) {
        const res = await call('GET', `/v1/console/statistics/breakdown?${q}`, { as: admin });
        assert.equal(res.statusCode, 400, q);
        assert.equal(res.json().error.code, 'invalid_request', q);
        assert.equal(res.json().error.details.field, field, q);
      }
      const signedOut = await call('GET', '/v1/console/statistics/breakdown?by=plan');
      assert.equal(signedOut.statusCode, 401);
    });

    test('pass rate per bucket of the series; an open session past its expiry reads expired', async () => {
      const day = await call('GET', `/v1/console/statistics?app=stats-one`, { as: admin });
      assert.equal(day.statusCode, 200, day.body);
      assert.deepEqual(day.json().buckets, [
        { start: '2026-05-01T00:00', total: 6, passed: 2, failed: 3, expired: 0, open: 1, passRate: 40 },
      ]);
      assert.equal(day.json().totals.passRate, 40);
      const none = await call('GET', `/v1/console/statistics?planId=${plan.B}&from=2026-04-01T00:00:00Z`, {
        as: admin,
      });
      assert.equal(none.json().buckets[0].passRate, 100);
      const t0 = clock;
      clock = new Date(t0.getTime() + 3 * 3600_000);
      const later = await get(
        `by=stage&to=${clock.toISOString()}&from=${new Date(t0.getTime() - 3600_000).toISOString()}`,
      );
      assert.deepEqual(counts(later.groups).expired, [2, 0, 0, 2, 0]);
      assert.equal(counts(later.groups).open, undefined);
      assert.deepEqual(
        counts((await get(`by=reason&to=${clock.toISOString()}`)).groups).session_expired,
        [2, 0, 0, 2, 0],
      );
      clock = t0;
    });

    test("migration 0012's OS backfill in SQL matches deviceOs() on real user agents", async () => {
      const db = core.store.db;
      const ids: string[] = [];
      for (const [, ua] of USER_AGENTS) {
        const s = await sessions.create(appTwo, { planId: plan.C }, 't');
        await core.repos.sessions.update(s.sessionId, { user_agent: ua, device_os: null });
        ids.push(s.sessionId);
      }
      await backfillDeviceOs(db as unknown as Kysely<unknown>);
      const rows = await db
        .selectFrom('verify_session')
        .select(['id', 'user_agent', 'device_os'])
        .where('id', 'in', ids)
        .execute();
      assert.equal(rows.length, USER_AGENTS.length);
      for (const r of rows) assert.equal(r.device_os, deviceOs(r.user_agent!), r.user_agent!);
      assert.equal(new Set(rows.map((r) => r.device_os)).size, 7, 'every OS, HarmonyOS and other included');
    });
  });
}
