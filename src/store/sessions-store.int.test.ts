/** Session repositories on PGlite and PostgreSQL: single-use challenges, job claims, cascades, counters. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BACKENDS, testConfig } from '../../test/helpers.js';
import { openCore, type Core } from '../core.js';
import { createTransactor } from './repos/index.js';

const T0 = new Date('2026-03-01T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

async function seed(core: Core, n = 1) {
  const app = await core.accessKeys.ensureApp('shop');
  const plan = await core.repos.plans.insert({
    app_id: app.id,
    name: 'p',
    liveness_mode: 'action',
    action_count: 2,
    action_pool: JSON.stringify(['blink', 'nod']),
    compare_source: 'none',
    identity_input: 'none',
    threshold_score: 70,
    passive_liveness_threshold: null,
    max_attempts: 3,
    invalidate_on_failure: false,
    success_url: null,
    failure_url: null,
    callback_url: 'http://127.0.0.1:9/hook',
    callback_secret_enc: null,
    result_retention_hours: 72,
    media_retention_hours: 24,
    created_at: T0,
    updated_at: T0,
    disabled_at: null,
  });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `vs_test${i}`;
    await core.repos.sessions.insert({
      id,
      token: `tok${String(i).padStart(21, '0')}`,
      app_id: app.id,
      plan_id: plan.id,
      status: 'created',
      expires_at: at(7200),
      purge_at: at(7200 + 72 * 3600),
      media_purge_at: at(7200 + 24 * 3600),
      created_at: T0,
      best_frame_key: `sessions/${id}/best-1.jpg`,
    });
    ids.push(id);
  }
  return { plan, ids };
}

for (const backend of BACKENDS) {
  describe(`session store on ${backend.name}`, () => {
    test('challenges are single-use and bound to their session; concurrent claims have one winner', async () => {
      const { env, cleanup } = await backend.setup();
      const core = await openCore(testConfig(env));
      try {
        const { ids } = await seed(core, 2);
        const [a, b] = ids as [string, string];
        const spec = { mode: 'action', actions: ['nod'] };
        await core.repos.challenges.insert({ id: 'c1', sessionId: a, spec, issuedAt: T0, expiresAt: at(60) });
        await core.repos.challenges.insert({ id: 'c2', sessionId: a, spec, issuedAt: T0, expiresAt: at(60) });
        assert.deepEqual((await core.repos.challenges.findById('c1'))?.spec, spec);
        assert.equal(await core.repos.challenges.claim('c1', b, at(1)), false, 'another session');
        assert.equal(await core.repos.challenges.claim('c2', a, at(61)), false, 'expired');
        const wins = await Promise.all([1, 2, 3, 4].map(() => core.repos.challenges.claim('c1', a, at(2))));
        assert.equal(wins.filter(Boolean).length, 1);
        assert.equal(await core.repos.challenges.claim('nope', a, at(2)), false);
      } finally {
        await core.close();
        await cleanup();
      }
    });

    test('a transaction rolls back every write; attempt order is unique per session', async () => {
      const { env, cleanup } = await backend.setup();
      const core = await openCore(testConfig(env));
      try {
        const { ids } = await seed(core);
        const id = ids[0]!;
        const tx = createTransactor(core.store.db);
        const attempt = (order: number, passed: boolean, finished: Date, ip = 'ipA') => ({
          session_id: id,
          order,
          started_at: T0,
          finished_at: finished,
          passed,
          code: passed ? 'ok' : 'compare_failed',
          message: 'm',
          score: 50,
          threshold: 70,
          liveness_score: 0.9,
          challenge: null,
          details: null,
          engine_calls: 9,
          client_ip_digest: ip,
        });
        await assert.rejects(
          tx(async (r) => {
            await r.attempts.insert(attempt(1, false, at(10)));
            await r.sessions.update(id, { status: 'failed' });
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal(await core.repos.attempts.countBySession(id), 0);
        assert.equal((await core.repos.sessions.findById(id))?.status, 'created');

        await core.repos.attempts.insert(attempt(1, false, at(10)));
        await assert.rejects(core.repos.attempts.insert(attempt(1, false, at(11))));
        await core.repos.attempts.insert(attempt(2, false, at(20)));
        await core.repos.attempts.insert(attempt(3, true, at(30)));
        await core.repos.attempts.insert(attempt(4, false, at(40), 'ipB'));
        const f = await core.repos.attempts.failuresByIpSince('ipA', at(5));
        assert.equal(f.count, 2);
        assert.equal(f.oldest?.getTime(), at(10).getTime());
        assert.equal((await core.repos.attempts.failuresByIpSince('ipA', at(15))).count, 1);
        assert.deepEqual(
          (await core.repos.attempts.listBySession(id)).map((a) => a.order),
          [1, 2, 3, 4],
        );
      } finally {
        await core.close();
        await cleanup();
      }
    });

    test('job claims skip rows another transaction holds; deleting a session cascades', async () => {
      const { env, cleanup } = await backend.setup();
      const core = await openCore(testConfig(env));
      try {
        const { ids } = await seed(core, 3);
        const tx = createTransactor(core.store.db);
        assert.equal((await core.repos.sessions.claimExpired(at(7199), 10)).length, 0);
        assert.equal((await core.repos.sessions.claimExpired(at(7200), 10)).length, 3);
        assert.equal((await core.repos.sessions.claimMediaDue(at(7200 + 24 * 3600), 2)).length, 2, 'limit');
        assert.equal((await core.repos.sessions.claimPurgeDue(at(7200 + 72 * 3600 - 1), 10)).length, 0);

        for (const id of ids)
          await core.repos.callbacks.insert({ sessionId: id, url: 'http://x/', body: '{}', now: T0 });
        if (backend.name === 'postgres') {
          // Two workers: the second skips the rows the first has locked.
          let release!: () => void;
          const held = new Promise<void>((r) => (release = r));
          let firstClaimed!: () => void;
          const claimed = new Promise<void>((r) => (firstClaimed = r));
          const first = tx(async (r) => {
            const rows = await r.callbacks.claimDue(at(1), 2);
            firstClaimed();
            await held;
            return rows.length;
          });
          await claimed;
          const second = await tx((r) => r.callbacks.claimDue(at(1), 10));
          release();
          assert.equal(await first, 2);
          assert.equal(second.length, 1);
        }
        const due = await tx(async (r) => {
          const rows = await r.callbacks.claimDue(at(1), 10);
          await r.callbacks.lease(
            rows.map((x) => x.id),
            at(100),
          );
          return rows;
        });
        assert.equal(due.length, 3);
        assert.equal((await core.repos.callbacks.claimDue(at(99), 10)).length, 0, 'leased');
        await core.repos.callbacks.recordTry({
          deliveryId: due[0]!.id,
          tryNo: 1,
          at: at(2),
          httpStatus: 500,
          error: 'HTTP 500',
          durationMs: 3,
        });
        await core.repos.challenges.insert({ id: 'c', sessionId: ids[0]!, spec: {}, issuedAt: T0, expiresAt: at(60) });

        assert.equal(await core.repos.sessions.delete(ids[0]!), true);
        assert.equal(await core.repos.challenges.findById('c'), undefined);
        assert.deepEqual(await core.repos.callbacks.listBySession(ids[0]!), []);
        const tries = await core.store.db.selectFrom('callback_try').selectAll().execute();
        assert.equal(tries.length, 0, 'tries go with their delivery');
        assert.equal(await core.repos.sessions.delete(ids[0]!), false);
      } finally {
        await core.close();
        await cleanup();
      }
    });
  });
}
