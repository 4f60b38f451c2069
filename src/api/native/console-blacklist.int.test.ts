/**
 * Blacklist on both database backends: entries through the console API (admins and operators change, auditors list,
 * CSRF, validation, audit), and their enforcement by the session engine: a listed ID number refuses create /
 * setIdentity / h5Identity, a listed address refuses the H5 challenge and attempt (forbidden, details.blacklisted),
 * expiry (injected clock) lifts an entry, and the database holds only digests and masked values.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BACKENDS } from '../../../test/helpers.js';
import type { Core } from '../../core.js';
import { isShirenError } from '../../errors.js';
import { createPlanService } from '../../verify/plans.js';
import type { SessionService } from '../../verify/sessions.js';
import { consoleClient, openConsoleTestApp, type ConsoleTestApp, type Signed } from './console-test-helpers.js';

const LISTED_ID = '11010519491231002X';
const OTHER_ID = '110101199003074514';
const LISTED_IP = '203.0.113.77';
const OTHER_IP = '198.51.100.9';

async function refusal(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    assert.ok(isShirenError(err), String(err));
    assert.equal(err.reason, 'forbidden');
    return err.details?.blacklisted;
  }
  assert.fail('expected a refusal');
}

for (const backend of BACKENDS) {
  describe(`blacklist on ${backend.name}`, () => {
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
    let userPlan: number;
    let openPlan: number;
    let otherAppPlan: number;
    let clock = new Date('2026-06-01T08:00:00Z');

    const { call, assertGuarded, assertInvalidFields } = consoleClient({ app: () => app, ip: '192.0.2.10' });

    async function add(as: Signed, body: Record<string, unknown>) {
      const res = await call('POST', '/v1/console/blacklist', { as, body });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as { id: number; masked: string; active: boolean; expiresAt: string | null };
    }

    before(async () => {
      const now = () => clock;
      t = await openConsoleTestApp({
        backend,
        ip: '192.0.2.10',
        now,
        h5: true,
        sessionDeps: (core) => ({ blacklist: core.repos.blacklist }),
        consoleOptions: () => ({ policy: { idleSeconds: 30 * 24 * 3600 } }),
      });
      ({ app, core, sessions } = t);
      const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring, now });
      appId = (await core.accessKeys.ensureApp('blacklist-app')).id;
      otherAppId = (await core.accessKeys.ensureApp('blacklist-other')).id;
      const mk = async (a: string, name: string, identityInput: 'preset' | 'user' | 'none') =>
        (await plans.create(a, { name, livenessMode: 'none', identityInput }, 'test')).plan.id;
      presetPlan = await mk(appId, 'bl-preset', 'preset');
      userPlan = await mk(appId, 'bl-user', 'user');
      openPlan = await mk(appId, 'bl-open', 'none');
      otherAppPlan = await mk(otherAppId, 'bl-other', 'preset');
      admin = await t.signInAdmin();
      auditor = await t.addUser('alice', 'auditor');
      operator = await t.addUser('oscar', 'operator');
    });
    after(() => t?.close());

    test('auditors list but may not change; CSRF required; invalid entries name the field', async () => {
      const body = { kind: 'ip', value: '192.0.2.200' };
      await assertGuarded('POST', '/v1/console/blacklist', {
        body,
        denied: auditor,
        requires: 'operate',
        allowed: admin,
      });
      const cases: [Record<string, unknown>, string][] = [
        [{ kind: 'phone', value: '1' }, 'kind'],
        [{ kind: 'id_number', value: '110105194912310021' }, 'idNumber'],
        [{ kind: 'ip', value: '300.1.1.1' }, 'value'],
        [{ kind: 'ip', value: '192.0.2.1', appId: 'app_nope' }, 'appId'],
        [{ kind: 'ip', value: '192.0.2.1', expiresAt: 'tomorrow' }, 'expiresAt'],
        [{ kind: 'ip', value: '192.0.2.1', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
      ];
      await assertInvalidFields('POST', '/v1/console/blacklist', admin, cases);
      assert.equal((await call('GET', '/v1/console/blacklist', { as: auditor })).json().entries.length, 0);
      const e = await add(operator, body);
      const del = await call('DELETE', `/v1/console/blacklist/${e.id}`, { as: auditor });
      assert.equal(del.statusCode, 403);
      assert.equal((await call('DELETE', `/v1/console/blacklist/${e.id}`, { as: operator })).statusCode, 204);
      assert.equal((await call('DELETE', `/v1/console/blacklist/${e.id}`, { as: operator })).statusCode, 404);
    });

    test('a listed ID number refuses create, setIdentity and h5Identity; another ID works; other apps only when global', async () => {
      const e = await add(admin, { kind: 'id_number', value: ` ${LISTED_ID.toLowerCase()} `, appId, reason: 'fraud' });
      assert.equal(e.masked, '110***********002X');
      const identity = { name: '张三', idNumber: LISTED_ID };
      assert.equal(await refusal(sessions.create(appId, { planId: presetPlan, identity }, 'test')), 'id_number');
      const ok = await sessions.create(
        appId,
        { planId: presetPlan, identity: { name: '李四', idNumber: OTHER_ID } },
        't',
      );
      assert.ok(ok.token);
      const later = await sessions.create(appId, { planId: presetPlan }, 'test');
      assert.equal(await refusal(sessions.setIdentity(appId, later.token, identity, 'test')), 'id_number');
      const user = await sessions.create(appId, { planId: userPlan }, 'test');
      assert.equal(await refusal(sessions.h5Identity(user.token, identity)), 'id_number');
      const viaH5 = await call('POST', `/h5/api/sessions/${user.token}/identity`, { body: identity });
      assert.equal(viaH5.statusCode, 403, viaH5.body);
      assert.equal(viaH5.json().error.details.blacklisted, 'id_number');
      await sessions.h5Identity(user.token, { name: '李四', idNumber: OTHER_ID });
      // scoped to appId: another app is not affected until a global entry lists it
      await sessions.create(otherAppId, { planId: otherAppPlan, identity }, 'test');
      const global = await add(operator, { kind: 'id_number', value: LISTED_ID });
      assert.equal(await refusal(sessions.create(otherAppId, { planId: otherAppPlan, identity }, 't')), 'id_number');
      assert.equal((await call('DELETE', `/v1/console/blacklist/${global.id}`, { as: admin })).statusCode, 204);
      await sessions.create(otherAppId, { planId: otherAppPlan, identity }, 'test');
    });

    test('a listed address refuses the H5 challenge; other addresses work; expiry lifts it', async () => {
      const s = await sessions.create(appId, { planId: openPlan }, 'test');
      const before = await call('POST', `/h5/api/sessions/${s.token}/challenge`, { ip: LISTED_IP });
      assert.equal(before.statusCode, 200, before.body);
      const expiresAt = new Date(clock.getTime() + 60 * 60_000).toISOString();
      const e = await add(admin, { kind: 'ip', value: LISTED_IP, expiresAt, reason: 'bot farm' });
      assert.equal(e.masked, '203.0.113.*');
      assert.equal(e.expiresAt, expiresAt);
      const refused = await call('POST', `/h5/api/sessions/${s.token}/challenge`, { ip: LISTED_IP });
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().error.code, 'forbidden');
      assert.equal(refused.json().error.details.blacklisted, 'ip');
      const attempt = await call('POST', `/h5/api/sessions/${s.token}/attempts`, {
        ip: LISTED_IP,
        // well-formed frames (the refusal comes before any analysis, so their bytes do not matter)
        body: {
          challengeId: before.json().challengeId,
          frames: [0, 100, 200, 300].map((t) => ({ t, step: 'none', image: 'AAAA' })),
        },
      });
      assert.equal(attempt.statusCode, 403, attempt.body);
      assert.equal(attempt.json().error.details.blacklisted, 'ip');
      const other = await call('POST', `/h5/api/sessions/${s.token}/challenge`, { ip: OTHER_IP });
      assert.equal(other.statusCode, 200, other.body);

      const active = await call('GET', '/v1/console/blacklist?active=true&kind=ip', { as: auditor });
      assert.deepEqual(
        active.json().entries.map((x: { masked: string }) => x.masked),
        ['203.0.113.*'],
      );
      clock = new Date(clock.getTime() + 61 * 60_000);
      const lifted = await call('POST', `/h5/api/sessions/${s.token}/challenge`, { ip: LISTED_IP });
      assert.equal(lifted.statusCode, 200, lifted.body);
      assert.equal(
        (await call('GET', '/v1/console/blacklist?active=true&kind=ip', { as: auditor })).json().entries.length,
        0,
      );
      const all = (await call('GET', '/v1/console/blacklist?kind=ip', { as: auditor })).json().entries;
      assert.equal(all[0].active, false);
    });

    test('the list and the database hold masked values and digests only; changes are audited', async () => {
      const list = (await call('GET', '/v1/console/blacklist', { as: auditor })).json();
      const text = JSON.stringify(list);
      assert.ok(list.entries.length >= 2);
      assert.ok(!text.includes(LISTED_ID) && !text.includes(LISTED_IP), text);
      assert.ok(!text.includes('digest'), 'the digest is not shown');
      const rows = await core.store.db.selectFrom('blacklist_entry').selectAll().execute();
      const dump = JSON.stringify(rows);
      assert.ok(!dump.includes(LISTED_ID) && !dump.includes(LISTED_IP) && !dump.includes('002X1949'), dump);
      const idRow = rows.find((r) => r.kind === 'id_number')!;
      assert.equal(idRow.digest, core.keyring.digest('identity', LISTED_ID));
      assert.equal(rows.find((r) => r.kind === 'ip')!.digest, core.keyring.digest('client-ip', LISTED_IP));
      const audit = await core.repos.audit.list({ limit: 200 });
      const actions = audit.filter((a) => a.action.startsWith('blacklist.'));
      assert.ok(actions.some((a) => a.action === 'blacklist.add' && a.actor.includes('oscar')));
      assert.ok(actions.some((a) => a.action === 'blacklist.remove'));
      const auditText = JSON.stringify(actions);
      assert.ok(!auditText.includes(LISTED_ID) && !auditText.includes(LISTED_IP), auditText);
    });
  });
}
