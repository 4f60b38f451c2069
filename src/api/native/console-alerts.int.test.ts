/**
 * Alerts on both database backends: rules through the console API (admins only, CSRF, validation, audit), their
 * evaluation with an injected clock over verify_session / verify_attempt rows written for the test (pass rate with
 * min_sessions, failures per address digest, volume), the cool-down, and the signed webhook received by a local
 * HTTP server on 127.0.0.1 (and a failing one recorded). The background job loop runs the evaluation too.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BACKENDS } from '../../../test/helpers.js';
import type { Core } from '../../core.js';
import type { AlertService } from '../../verify/alerts.js';
import { createJobs } from '../../verify/jobs.js';
import { createPlanService } from '../../verify/plans.js';
import { consoleClient, openConsoleTestApp, type ConsoleTestApp, type Signed } from './console-test-helpers.js';

const MIN = 60_000;

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

for (const backend of BACKENDS) {
  describe(`alerts on ${backend.name}`, () => {
    let app: FastifyInstance;
    let core: Core;
    let t: ConsoleTestApp;
    let alerts: AlertService;
    let admin: Signed;
    let auditor: Signed;
    let operator: Signed;
    let appId: string;
    let planA: number;
    let planB: number;
    let planC: number;
    let hook: Server;
    let hookUrl: string;
    const received: Received[] = [];
    /** How many more times /flaky answers 500 before it answers 204. */
    let flakyFailures = 0;
    let clock = new Date('2026-06-01T08:00:00Z');
    const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

    const { call, assertInvalidFields } = consoleClient({ app: () => app, ip: '203.0.113.10' });

    /** A finished session of a plan (finished at the clock), optionally with one attempt from an address digest. */
    async function finished(planId: number, passed: boolean, ipDigest: string | null = null) {
      const id = `ses_${randomUUID().replaceAll('-', '')}`;
      const far = new Date(clock.getTime() + 24 * 60 * MIN);
      await core.store.db
        .insertInto('verify_session')
        .values({
          id,
          token: randomUUID(),
          app_id: appId,
          plan_id: planId,
          status: passed ? 'passed' : 'failed',
          outer_order_no: null,
          identity_name_enc: null,
          identity_number_enc: null,
          identity_number_digest: null,
          reference_blob_key: null,
          previous_session_id: null,
          created_at: new Date(clock.getTime() - 1000),
          expires_at: far,
          finished_at: clock,
          result: JSON.stringify({ passed, code: passed ? 'ok' : 'face_mismatch' }),
          best_frame_key: null,
          env_frame_key: null,
          purge_at: far,
          media_purge_at: far,
          client_ip_digest: ipDigest,
          user_agent: null,
        })
        .execute();
      if (ipDigest !== null) {
        await core.store.db
          .insertInto('verify_attempt')
          .values({
            session_id: id,
            order: 1,
            started_at: new Date(clock.getTime() - 500),
            finished_at: clock,
            passed,
            code: passed ? 'ok' : 'face_mismatch',
            message: '',
            score: null,
            threshold: null,
            liveness_score: null,
            challenge: null,
            details: null,
            engine_calls: 1,
            client_ip_digest: ipDigest,
          })
          .execute();
      }
    }

    function verifySignature(r: Received, secret: string) {
      const ts = String(r.headers['x-shiren-timestamp']);
      const expected = createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex');
      assert.equal(r.headers['x-shiren-signature'], expected, 'HMAC-SHA256 over timestamp.body');
    }

    before(async () => {
      hook = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
          res.statusCode = req.url === '/fail' ? 500 : req.url === '/flaky' && flakyFailures-- > 0 ? 500 : 204;
          res.end();
        });
      });
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
      hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;

      const now = () => clock;
      t = await openConsoleTestApp({
        backend,
        ip: '203.0.113.10',
        now,
        // The clock moves about 8 hours: console sign-ins stay valid (idle expiry is tested in console-api.int.test.ts).
        consoleOptions: () => ({ policy: { idleSeconds: 24 * 3600 } }),
      });
      ({ app, core } = t);
      const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring, now });
      appId = (await core.accessKeys.ensureApp('alerts-app')).id;
      planA = (await plans.create(appId, { name: 'alerts-a' }, 'test')).plan.id;
      planB = (await plans.create(appId, { name: 'alerts-b' }, 'test')).plan.id;
      planC = (await plans.create(appId, { name: 'alerts-c' }, 'test')).plan.id;
      assert.ok(t.deps.alerts);
      alerts = t.deps.alerts;
      admin = await t.signInAdmin();
      auditor = await t.addUser('alice', 'auditor');
      operator = await t.addUser('oscar', 'operator');
    });
    after(async () => {
      await t?.close();
      await new Promise((resolve) => hook?.close(resolve));
    });

    test('only admins change rules; CSRF required; invalid rules are refused with the field', async () => {
      const rule = { name: 'r', kind: 'volume_above', threshold: 5, windowMinutes: 10 };
      const byAuditor = await call('POST', '/v1/console/alerts/rules', { as: auditor, body: rule });
      assert.equal(byAuditor.statusCode, 403, byAuditor.body);
      assert.equal(byAuditor.json().error.code, 'forbidden');
      assert.equal(byAuditor.json().error.details.requires, 'admin');
      const byOperator = await call('POST', '/v1/console/alerts/rules', { as: operator, body: rule });
      assert.equal(byOperator.statusCode, 403);
      const noCsrf = await call('POST', '/v1/console/alerts/rules', { as: admin, body: rule, csrf: null });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal(noCsrf.json().error.details.csrf, 'invalid');
      assert.equal((await call('GET', '/v1/console/alerts/rules', { as: auditor })).json().rules.length, 0);

      const cases: [Record<string, unknown>, string][] = [
        [{ ...rule, kind: 'login_rate' }, 'kind'],
        [{ ...rule, kind: 'pass_rate_below', threshold: 101 }, 'threshold'],
        [{ ...rule, threshold: 2.5 }, 'threshold'],
        [{ ...rule, windowMinutes: 0 }, 'windowMinutes'],
        [{ ...rule, minSessions: 3 }, 'minSessions'],
        [{ ...rule, webhookUrl: 'ftp://example.com/x' }, 'webhookUrl'],
        [{ ...rule, webhookUrl: 'not a url' }, 'webhookUrl'],
        [{ ...rule, webhookUrl: `${hookUrl}/a`, webhookSecret: 'short' }, 'webhookSecret'],
        [{ ...rule, planId: 999999 }, 'planId'],
        [{ ...rule, name: '' }, 'name'],
        [{ ...rule, color: 'red' }, 'color'],
        [{ kind: 'volume_above', threshold: 1, windowMinutes: 1 }, 'name'],
      ];
      await assertInvalidFields('POST', '/v1/console/alerts/rules', admin, cases);
      const noCsrfDelete = await call('DELETE', '/v1/console/alerts/rules/1', { as: admin, csrf: null });
      assert.equal(noCsrfDelete.statusCode, 403);

      // A change is validated against the stored rule: a volume rule turned into a pass-rate rule gets minSessions 10.
      const made = await call('POST', '/v1/console/alerts/rules', { as: admin, body: rule });
      assert.equal(made.statusCode, 200, made.body);
      const id = made.json().id as number;
      const bad = await call('PATCH', `/v1/console/alerts/rules/${id}`, {
        as: admin,
        body: { kind: 'pass_rate_below', threshold: 120 },
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.details.field, 'threshold');
      const turned = await call('PATCH', `/v1/console/alerts/rules/${id}`, {
        as: admin,
        body: { kind: 'pass_rate_below', threshold: 90 },
      });
      assert.equal(turned.statusCode, 200, turned.body);
      assert.equal(turned.json().minSessions, 10);
      assert.equal(turned.json().name, 'r', 'unchanged fields kept');
      const byAuditorPatch = await call('PATCH', `/v1/console/alerts/rules/${id}`, {
        as: auditor,
        body: { enabled: false },
      });
      assert.equal(byAuditorPatch.statusCode, 403);
      const byOperatorDelete = await call('DELETE', `/v1/console/alerts/rules/${id}`, { as: operator });
      assert.equal(byOperatorDelete.statusCode, 403);
      assert.equal((await call('DELETE', `/v1/console/alerts/rules/${id}`, { as: admin })).statusCode, 204);
    });

    test('pass rate: not below min_sessions; fires when failures dominate; signed webhook; cool-down', async () => {
      const res = await call('POST', '/v1/console/alerts/rules', {
        as: admin,
        body: {
          name: 'pass rate A',
          kind: 'pass_rate_below',
          threshold: 50,
          windowMinutes: 10,
          minSessions: 6,
          planId: planA,
          webhookUrl: `${hookUrl}/alerts`,
        },
      });
      assert.equal(res.statusCode, 200, res.body);
      const created = res.json();
      assert.equal(created.webhookSigned, true);
      assert.match(created.webhookSecret, /^[A-Za-z0-9_-]{32}$/, 'generated secret shown once');
      const listed = (await call('GET', '/v1/console/alerts/rules', { as: auditor })).json().rules;
      const mine = listed.find((r: { id: number }) => r.id === created.id);
      assert.equal(mine.webhookSecret, undefined, 'never listed');
      const row = await core.store.db
        .selectFrom('alert_rule')
        .selectAll()
        .where('id', '=', created.id)
        .executeTakeFirstOrThrow();
      assert.ok(row.webhook_secret_enc && !row.webhook_secret_enc.includes(created.webhookSecret), 'sealed');

      // Old failures, outside the window later on.
      for (let i = 0; i < 5; i++) await finished(planA, false);
      await finished(planB, false); // another plan: not counted
      advance(MIN);
      assert.deepEqual(await alerts.evaluate(), [], '5 finished < minSessions 6: no alert');

      advance(11 * MIN); // the first five leave the window
      await finished(planA, true);
      await finished(planA, true);
      await finished(planA, false);
      advance(MIN);
      assert.deepEqual(await alerts.evaluate(), [], '3 in the window');
      for (let i = 0; i < 4; i++) await finished(planA, false);
      advance(MIN);
      const before = received.length;
      const fired = await alerts.evaluate();
      assert.equal(fired.length, 1);
      const ev = fired[0]!;
      assert.equal(ev.ruleId, created.id);
      assert.equal(ev.value, 28.6, '2 passed of 7');
      assert.deepEqual(ev.details, { finished: 7, passed: 2, failed: 5, minSessions: 6 });
      assert.ok(ev.deliveredAt);
      assert.equal(ev.deliveryError, null);
      assert.equal(received.length, before + 1);
      const got = received.at(-1)!;
      assert.equal(got.url, '/alerts');
      assert.equal(got.headers['content-type'], 'application/json');
      assert.equal(got.headers['x-shiren-delivery'], `alert-${ev.id}`);
      verifySignature(got, created.webhookSecret);
      const body = JSON.parse(got.body);
      assert.equal(body.rule.id, created.id);
      assert.equal(body.rule.kind, 'pass_rate_below');
      assert.equal(body.value, 28.6);
      assert.equal(body.threshold, 50);
      assert.equal(body.window.minutes, 10);
      assert.equal(body.firedAt, clock.toISOString());

      // Cool-down: the condition still holds a minute later, but the rule fired within its window.
      advance(MIN);
      await finished(planA, false);
      assert.deepEqual(await alerts.evaluate(), []);
      advance(5 * MIN);
      assert.deepEqual(await alerts.evaluate(), [], 'still within 10 minutes of the event');
      // A window later, with failures still dominating, it fires again.
      advance(4 * MIN);
      for (let i = 0; i < 6; i++) await finished(planA, false);
      const again = await alerts.evaluate();
      assert.equal(again.length, 1);
      assert.equal(again[0]!.value, 0);

      const events = await call('GET', `/v1/console/alerts/events?rule=${created.id}`, { as: auditor });
      assert.equal(events.statusCode, 200);
      assert.deepEqual(
        events.json().events.map((e: { id: number }) => e.id),
        [again[0]!.id, ev.id],
      );

      // Disabled, it is not evaluated.
      const off = await call('PATCH', `/v1/console/alerts/rules/${created.id}`, {
        as: admin,
        body: { enabled: false },
      });
      assert.equal(off.statusCode, 200, off.body);
      assert.equal(off.json().enabled, false);
      assert.equal(off.json().webhookSecret, undefined, 'the secret is kept, not shown');
      advance(11 * MIN);
      for (let i = 0; i < 6; i++) await finished(planA, false);
      assert.deepEqual(await alerts.evaluate(), []);
    });

    test('failures from one address: fires for that digest only (prefix shown); a failing webhook is recorded', async () => {
      const res = await call('POST', '/v1/console/alerts/rules', {
        as: admin,
        body: {
          name: 'one address',
          kind: 'ip_failures_above',
          threshold: 3,
          windowMinutes: 10,
          planId: planC,
          webhookUrl: `${hookUrl}/fail`,
          webhookSecret: 'a webhook secret of ours',
        },
      });
      assert.equal(res.statusCode, 200, res.body);
      const rule = res.json();
      assert.equal(rule.webhookSecret, undefined, 'a given secret is not echoed');
      const digestA = core.keyring.digest('client-ip', '198.51.100.7');
      const digestB = core.keyring.digest('client-ip', '198.51.100.8');
      for (let i = 0; i < 3; i++) await finished(planC, false, digestA);
      await finished(planC, false, digestB);
      await finished(planC, true, digestA);
      advance(MIN);
      assert.deepEqual(await alerts.evaluate(), [], '3 failures are not above 3');
      await finished(planC, false, digestA);
      await finished(planC, false, digestA);
      await finished(planC, false, digestB);
      const before = received.length;
      const fired = await alerts.evaluate();
      assert.equal(fired.length, 1);
      const ev = fired[0]!;
      assert.equal(ev.value, 5);
      assert.deepEqual(ev.details, { addresses: [{ digest: digestA.slice(0, 12), failures: 5 }] });
      assert.ok(!JSON.stringify(ev).includes('198.51.100'), 'no raw address');
      assert.equal(ev.deliveredAt, null);
      assert.equal(ev.deliveryError, 'HTTP 500');
      assert.equal(received.length, before + 1);
      verifySignature(received.at(-1)!, 'a webhook secret of ours');
      const stored = await core.store.db
        .selectFrom('alert_event')
        .selectAll()
        .where('id', '=', ev.id)
        .executeTakeFirstOrThrow();
      assert.equal(stored.delivery_error, 'HTTP 500');
      assert.equal(stored.delivered_at, null);
      const listedRes = await call('GET', '/v1/console/alerts/events', { as: operator });
      assert.equal(listedRes.statusCode, 200, listedRes.body);
      const listed = listedRes.json().events;
      assert.equal(listed[0].deliveryError, 'HTTP 500');

      // An unreachable webhook is recorded too.
      const patched = await call('PATCH', `/v1/console/alerts/rules/${rule.id}`, {
        as: admin,
        body: { webhookUrl: 'http://127.0.0.1:9/closed' },
      });
      assert.equal(patched.statusCode, 200, patched.body);
      advance(11 * MIN);
      for (let i = 0; i < 4; i++) await finished(planC, false, digestB);
      const down = await alerts.evaluate();
      assert.equal(down.length, 1);
      assert.deepEqual(down[0]!.details, { addresses: [{ digest: digestB.slice(0, 12), failures: 4 }] });
      assert.equal(down[0]!.deliveredAt, null);
      assert.ok(down[0]!.deliveryError, 'connection error recorded');
      assert.equal((await call('DELETE', `/v1/console/alerts/rules/${rule.id}`, { as: admin })).statusCode, 204);
      assert.equal((await call('DELETE', `/v1/console/alerts/rules/${rule.id}`, { as: admin })).statusCode, 404);
    });

    test('a failed webhook is retried with back-off until delivered, same delivery id; it gives up after 5 tries', async () => {
      const rule = async (name: string, webhookUrl: string) => {
        const res = await call('POST', '/v1/console/alerts/rules', {
          as: admin,
          body: { name, kind: 'volume_above', threshold: 0, windowMinutes: 600, planId: planC, webhookUrl },
        });
        assert.equal(res.statusCode, 200, res.body);
        return res.json() as { id: number; webhookSecret: string };
      };
      const posts = (eventId: number) => received.filter((r) => r.headers['x-shiren-delivery'] === `alert-${eventId}`);
      const stored = (id: number) =>
        core.store.db.selectFrom('alert_event').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const fire = async (ruleId: number) => {
        const ev = (await alerts.evaluate()).find((e) => e.ruleId === ruleId);
        assert.ok(ev, 'the rule fired');
        return ev;
      };

      // Two 500s, then the receiver is back: delivered on the third try, then never sent again.
      flakyFailures = 2;
      const { id: flaky, webhookSecret } = await rule('retried', `${hookUrl}/flaky`);
      await finished(planC, true);
      advance(MIN);
      const ev = await fire(flaky);
      assert.equal(ev.deliveryError, 'HTTP 500');
      assert.equal(ev.deliveryAttempts, 1);
      assert.equal(ev.nextDeliveryAt, new Date(clock.getTime() + MIN).toISOString());
      advance(30_000);
      await alerts.evaluate();
      assert.equal(posts(ev.id).length, 1, 'not before the back-off');
      advance(31_000);
      await alerts.evaluate();
      assert.equal(posts(ev.id).length, 2, 'the first retry after 1 minute');
      let row = await stored(ev.id);
      assert.equal(row.delivery_attempts, 2);
      assert.equal(row.delivery_error, 'HTTP 500');
      assert.equal(new Date(row.next_delivery_at!).getTime(), clock.getTime() + 5 * MIN, 'then 5 minutes');
      advance(5 * MIN);
      const retried = await alerts.retryDue(clock);
      assert.equal(retried.length, 1);
      assert.ok(retried[0]!.deliveredAt);
      assert.equal(retried[0]!.deliveryError, null);
      assert.equal(retried[0]!.deliveryAttempts, 3);
      assert.equal(retried[0]!.nextDeliveryAt, null);
      for (const r of posts(ev.id)) verifySignature(r, webhookSecret);
      const bodies = new Set(posts(ev.id).map((r) => JSON.parse(r.body).event));
      assert.deepEqual([...bodies], [ev.id], 'every try carries the same event');
      advance(130 * MIN);
      await alerts.evaluate();
      assert.equal(posts(ev.id).length, 3, 'a delivered event is not sent again');
      row = await stored(ev.id);
      assert.equal(row.next_delivery_at, null);

      // A receiver that keeps failing: 5 tries in all (after 1, 5, 30, 120 minutes), then the event stays as it is.
      const { id: failing } = await rule('gives up', `${hookUrl}/fail`);
      const lost = await fire(failing);
      for (const wait of [1, 5, 30, 120]) {
        advance(wait * MIN);
        await alerts.evaluate();
      }
      advance(130 * MIN);
      await alerts.retryDue(clock);
      assert.equal(posts(lost.id).length, 5);
      row = await stored(lost.id);
      assert.equal(row.delivery_attempts, 5);
      assert.equal(row.delivery_error, 'HTTP 500');
      assert.equal(row.next_delivery_at, null, 'given up');
      const listed = (await call('GET', `/v1/console/alerts/events?rule=${failing}`, { as: operator })).json().events;
      assert.equal(listed[0].deliveryAttempts, 5);
      for (const id of [flaky, failing])
        assert.equal((await call('DELETE', `/v1/console/alerts/rules/${id}`, { as: admin })).statusCode, 204);
    });

    test('volume rule run by the background job loop; every change audited', async () => {
      const res = await call('POST', '/v1/console/alerts/rules', {
        as: admin,
        body: { name: 'volume B', kind: 'volume_above', threshold: 2, windowMinutes: 5, planId: planB },
      });
      assert.equal(res.statusCode, 200, res.body);
      const rule = res.json();
      assert.equal(rule.webhookUrl, null);
      advance(10 * MIN);
      for (let i = 0; i < 3; i++) await finished(planB, false);
      const jobs = createJobs({
        callbacks: { deliverDue: async () => ({ delivered: 0, retry: 0, failed: 0 }) },
        retention: { runOnce: async () => ({}) } as never,
        alerts,
      });
      await jobs.runOnce();
      const events = (await call('GET', `/v1/console/alerts/events?rule=${rule.id}`, { as: auditor })).json().events;
      assert.equal(events.length, 1);
      assert.equal(events[0].value, 3);
      assert.equal(events[0].deliveredAt, null);
      assert.equal(events[0].deliveryError, null, 'no webhook: nothing to deliver');

      const audit = await call('GET', '/v1/console/audit?action=alert_rule.&limit=100', { as: admin });
      const actions = (audit.json().entries as { action: string; actor: string }[]).map((e) => e.action);
      assert.ok(actions.includes('alert_rule.create'));
      assert.ok(actions.includes('alert_rule.update'));
      assert.ok(actions.includes('alert_rule.delete'));
      assert.ok(
        (audit.json().entries as { actor: string }[]).every((e) => e.actor === 'console:admin'),
        'only the admin changed rules',
      );
      assert.ok(!audit.body.includes('a webhook secret of ours'), 'no secret in the audit log');
    });
  });
}
