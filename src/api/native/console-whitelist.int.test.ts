/**
 * Whitelist settings on both database backends: entries through the console API (admins and operators change, every
 * role lists, CSRF, validation fields, audit with masked values only), and their effect in the session engine: a
 * whitelisted ID number whose face comparison fails ends `passed` with code `whitelisted` and result.whitelisted
 * (records and statistics show it), liveness still has to pass, another plan and another app are unaffected, expiry
 * (injected clock) ends it, an entry made from a CertifyId uses that session's identity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BACKENDS } from '../../../test/helpers.js';
import type { Core } from '../../core.js';
import { createPlanService } from '../../verify/plans.js';
import type { SessionService } from '../../verify/sessions.js';
import { fakeAnalyser, fakeFaces, framesOf, jpeg } from '../../verify/whitelist-test-fakes.js';
import { consoleClient, openConsoleTestApp, type ConsoleTestApp, type Signed } from './console-test-helpers.js';

const LISTED = { name: '张三', idNumber: '11010519491231002X' };
const OTHER = { name: '李四', idNumber: '110101199003074514' };
const client = { ip: '203.0.113.7' };

for (const backend of BACKENDS) {
  describe(`whitelist on ${backend.name}`, () => {
    let app: FastifyInstance;
    let core: Core;
    let t: ConsoleTestApp;
    let sessions: SessionService;
    let admin: Signed;
    let auditor: Signed;
    let operator: Signed;
    let appId: string;
    let otherAppId: string;
    let planA: number;
    let planB: number;
    let otherAppPlan: number;
    let clock = new Date('2026-06-01T08:00:00Z');

    const { call, assertGuarded, assertInvalidFields } = consoleClient({ app: () => app, ip: '192.0.2.10' });

    async function add(as: Signed, body: Record<string, unknown>) {
      const res = await call('POST', '/v1/console/whitelist', { as, body });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as { id: number; masked: string; active: boolean; validUntil: string; certifyId: string };
    }

    /** A session of `planId` for `identity` whose captured face is `person` (the reference is always "owner"). */
    async function run(a: string, planId: number, identity: { name: string; idNumber: string }, person: string) {
      const s = await sessions.create(
        a,
        { planId, identity, referenceImage: jpeg('owner:ref').toString('base64') },
        'test',
      );
      const ch = await sessions.issueChallenge(s.token, client);
      const r = await sessions.submitAttempt(
        s.token,
        { challengeId: ch.challengeId, frames: framesOf(person) },
        client,
      );
      return { token: s.token, outcome: r.outcome, code: r.code, view: await sessions.get(a, s.token) };
    }

    before(async () => {
      const now = () => clock;
      t = await openConsoleTestApp({
        backend,
        ip: '192.0.2.10',
        now,
        h5: true,
        sessionDeps: (core) => ({
          faces: fakeFaces,
          analyser: fakeAnalyser,
          limits: { ipFailureLimit: 500, ipFailureWindowSeconds: 180, maxImageBytes: 1 << 20 },
          whitelist: { isWhitelisted: (a, p, d, at) => core.repos.whitelist.isListed(a, p, d, at) },
        }),
        consoleOptions: () => ({ policy: { idleSeconds: 30 * 24 * 3600, absoluteSeconds: 30 * 24 * 3600 } }),
      });
      ({ app, core, sessions } = t);
      const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring, now });
      appId = (await core.accessKeys.ensureApp('whitelist-app')).id;
      otherAppId = (await core.accessKeys.ensureApp('whitelist-other')).id;
      const mk = async (a: string, name: string) =>
        (
          await plans.create(
            a,
            {
              name,
              livenessMode: 'none',
              compareSource: 'uploaded',
              identityInput: 'preset',
              passiveLivenessThreshold: 0.5,
              maxAttempts: 1,
            },
            'test',
          )
        ).plan.id;
      planA = await mk(appId, 'wl-a');
      planB = await mk(appId, 'wl-b');
      otherAppPlan = await mk(otherAppId, 'wl-other');
      admin = await t.signInAdmin();
      auditor = await t.addUser('alice', 'auditor');
      operator = await t.addUser('oscar', 'operator');
    });
    after(() => t?.close());

    test('auditors list but may not change; CSRF required; invalid entries name the field', async () => {
      const body = { planId: planA, idNumber: OTHER.idNumber, validDays: 30 };
      await assertGuarded('POST', '/v1/console/whitelist', {
        body,
        denied: auditor,
        requires: 'operate',
        allowed: admin,
      });
      const none = await run(appId, planA, OTHER, 'nobody');
      const cases: [Record<string, unknown>, string][] = [
        [{ ...body, planId: 'x' }, 'planId'],
        [{ ...body, planId: 999999 }, 'planId'],
        [{ ...body, idNumber: '110105194912310021' }, 'idNumber'],
        [{ ...body, idNumber: '12' }, 'idNumber'],
        [{ planId: planA, validDays: 30 }, 'idNumber'],
        [{ ...body, certifyId: none.token }, 'idNumber'],
        [{ planId: planA, certifyId: 'short', validDays: 30 }, 'certifyId'],
        [{ planId: planA, certifyId: 'A'.repeat(24), validDays: 30 }, 'certifyId'],
        [{ planId: otherAppPlan, certifyId: none.token, validDays: 30 }, 'certifyId'],
        [{ ...body, validDays: 0 }, 'validDays'],
        [{ ...body, validDays: 366 }, 'validDays'],
        [{ ...body, validDays: 1.5 }, 'validDays'],
        [{ ...body, validDays: '30' }, 'validDays'],
        [{ planId: planA, idNumber: OTHER.idNumber }, 'validDays'],
        [{ ...body, remark: 'x'.repeat(501) }, 'remark'],
        [{ ...body, remark: 5 }, 'remark'],
      ];
      await assertInvalidFields('POST', '/v1/console/whitelist', admin, cases);
      const unknownField = await call('POST', '/v1/console/whitelist', { as: admin, body: { ...body, x: 1 } });
      assert.equal(unknownField.statusCode, 400, unknownField.body);
      assert.equal((await call('GET', '/v1/console/whitelist', { as: auditor })).json().entries.length, 0);
      const e = await add(operator, body);
      const dup = await call('POST', '/v1/console/whitelist', { as: admin, body });
      assert.equal(dup.statusCode, 409, dup.body);
      assert.equal(dup.json().error.details.existingId, e.id);
      const del = await call('DELETE', `/v1/console/whitelist/${e.id}`, { as: auditor });
      assert.equal(del.statusCode, 403);
      const delNoCsrf = await call('DELETE', `/v1/console/whitelist/${e.id}`, { as: operator, csrf: null });
      assert.equal(delNoCsrf.statusCode, 403);
      assert.equal((await call('DELETE', `/v1/console/whitelist/${e.id}`, { as: operator })).statusCode, 204);
      assert.equal((await call('DELETE', `/v1/console/whitelist/${e.id}`, { as: operator })).statusCode, 404);
      assert.equal((await call('GET', '/v1/console/whitelist', { as: auditor })).json().total, 0);
    });

    test('a whitelisted ID number passes a failed comparison as whitelisted; liveness still decides; other plan and app unaffected', async () => {
      const before = await run(appId, planA, LISTED, 'stranger');
      assert.deepEqual([before.outcome, before.code], ['failed', 'compare_failed']);
      const e = await add(admin, { planId: planA, idNumber: ` ${LISTED.idNumber.toLowerCase()} `, validDays: 2 });
      assert.equal(e.masked, '110***********002X');
      assert.equal(e.active, true);
      assert.equal(e.validUntil, new Date(clock.getTime() + 2 * 86400_000).toISOString());

      const wl = await run(appId, planA, LISTED, 'stranger');
      assert.deepEqual([wl.outcome, wl.code], ['passed', 'whitelisted']);
      assert.equal(wl.view.status, 'passed');
      assert.equal(wl.view.result?.passed, true);
      assert.equal(wl.view.result?.code, 'whitelisted');
      assert.equal((wl.view.result as { whitelisted?: boolean }).whitelisted, true);
      assert.equal(wl.view.result?.score, 9, 'the failed score is kept');
      assert.equal(wl.view.attempts[0]?.code, 'whitelisted');
      // the owner's face passes as usual (no whitelist mark)
      const genuine = await run(appId, planA, LISTED, 'owner');
      assert.deepEqual([genuine.outcome, genuine.code], ['passed', 'ok']);
      assert.equal((genuine.view.result as { whitelisted?: boolean }).whitelisted, undefined);
      // liveness still has to pass
      const spoof = await run(appId, planA, LISTED, 'spoof');
      assert.deepEqual([spoof.outcome, spoof.code], ['failed', 'liveness_passive_failed']);
      // another ID number, another plan of the app, another app: not whitelisted
      assert.equal((await run(appId, planA, OTHER, 'stranger')).code, 'compare_failed');
      assert.equal((await run(appId, planB, LISTED, 'stranger')).code, 'compare_failed');
      assert.equal((await run(otherAppId, otherAppPlan, LISTED, 'stranger')).code, 'compare_failed');

      // records and statistics show it
      const rec = await call('GET', `/v1/console/records/${wl.token}`, { as: auditor });
      assert.equal(rec.statusCode, 200, rec.body);
      assert.equal(rec.json().result.code, 'whitelisted');
      assert.equal(rec.json().result.whitelisted, true);
      const found = await call('GET', '/v1/console/records?resultCode=whitelisted', { as: auditor });
      assert.deepEqual(
        found.json().records.map((r: { token: string }) => r.token),
        [wl.token],
      );
      const from = new Date(clock.getTime() - 3600_000).toISOString();
      const to = new Date(clock.getTime() + 3600_000).toISOString();
      const stats = await call('GET', `/v1/console/statistics?from=${from}&to=${to}&unit=hour&planId=${planA}`, {
        as: auditor,
      });
      assert.equal(stats.statusCode, 200, stats.body);
      const codes = Object.fromEntries(
        stats.json().codes.map((c: { code: string; count: number }) => [c.code, c.count]),
      );
      assert.equal(codes.whitelisted, 1, stats.body);
      assert.equal(stats.json().totals.passed, 2, stats.body);

      // expiry (injected clock): after 2 days the entry stops counting
      clock = new Date(clock.getTime() + 2 * 86400_000 - 60_000);
      assert.equal((await run(appId, planA, LISTED, 'stranger')).code, 'whitelisted');
      clock = new Date(clock.getTime() + 60_000);
      assert.equal((await run(appId, planA, LISTED, 'stranger')).code, 'compare_failed');
      const list = (await call('GET', `/v1/console/whitelist?planId=${planA}`, { as: auditor })).json();
      assert.equal(list.entries[0].active, false);
      assert.equal((await call('GET', '/v1/console/whitelist?active=true', { as: auditor })).json().total, 0);
      assert.equal((await call('GET', '/v1/console/whitelist?active=false', { as: auditor })).json().total, 1);
    });

    test('an entry from a CertifyId takes that session identity; the list filters by ID number', async () => {
      const failed = await run(appId, planB, OTHER, 'stranger');
      assert.equal(failed.code, 'compare_failed');
      const e = await add(operator, { planId: planB, certifyId: failed.token, validDays: 1, remark: '客服核实' });
      assert.equal(e.masked, '110***********4514');
      assert.equal(e.certifyId, failed.token);
      const noIdentity = await sessions.create(
        appId,
        { planId: planB, referenceImage: jpeg('owner:ref').toString('base64') },
        'test',
      );
      const refused = await call('POST', '/v1/console/whitelist', {
        as: operator,
        body: { planId: planB, certifyId: noIdentity.token, validDays: 1 },
      });
      assert.equal(refused.statusCode, 400, refused.body);
      assert.equal(refused.json().error.details.field, 'certifyId');
      assert.match(refused.json().error.message, /no ID number/);
      assert.equal((await run(appId, planB, OTHER, 'stranger')).code, 'whitelisted');
      const byId = await call('GET', `/v1/console/whitelist?idNumber=${OTHER.idNumber}`, { as: auditor });
      assert.deepEqual(
        byId.json().entries.map((x: { id: number }) => x.id),
        [e.id],
      );
      const badId = await call('GET', '/v1/console/whitelist?idNumber=110105194912310021', { as: auditor });
      assert.equal(badId.statusCode, 400);
    });

    test('the list and the database hold masked values and digests only; changes are audited', async () => {
      const list = (await call('GET', '/v1/console/whitelist', { as: auditor })).json();
      const text = JSON.stringify(list);
      assert.ok(list.entries.length >= 2);
      assert.ok(!text.includes(LISTED.idNumber) && !text.includes(OTHER.idNumber), text);
      assert.ok(!text.includes('digest'), 'the digest is not shown');
      const rows = await core.store.db.selectFrom('whitelist_entry').selectAll().execute();
      const dump = JSON.stringify(rows);
      assert.ok(!dump.includes(LISTED.idNumber) && !dump.includes(OTHER.idNumber), dump);
      assert.ok(rows.some((r) => r.digest === core.keyring.digest('identity', LISTED.idNumber)));
      const session = await core.store.db.selectFrom('verify_session').select('identity_number_digest').execute();
      assert.ok(
        rows.every((r) => session.some((s) => s.identity_number_digest === r.digest)),
        'same digests',
      );
      const audit = await core.repos.audit.list({ limit: 500 });
      const actions = audit.filter((a) => a.action.startsWith('whitelist.'));
      assert.ok(actions.some((a) => a.action === 'whitelist.add' && a.actor.includes('oscar')));
      assert.ok(actions.some((a) => a.action === 'whitelist.remove' && a.actor.includes('oscar')));
      const auditText = JSON.stringify(actions);
      assert.ok(!auditText.includes(LISTED.idNumber) && !auditText.includes(OTHER.idNumber), auditText);
      assert.ok(auditText.includes('110***********002X'));
    });
  });
}
