/**
 * Attempt-limit checks with 100,000 sessions: `npx tsx src/verify/strategies-bench.ts [--pg postgres://…/db]
 * [--rows N]`. Seeds a fresh database (PGlite in a temp directory by default; with --pg, an existing empty database)
 * with N sessions over 7 days (2 apps, 4 plans, 20,000 people) and two attempts per session (about 60 % failed,
 * from 5,000 devices and 2,000 addresses), then times the strategy service's enforce() — the call the session engine
 * makes — for each dimension and scope, on a busy value (refused) and a quiet one (allowed): median of 7 runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { seedBenchPlans } from './bench-seed.js';
import { openCore } from '../core.js';
import { isShirenError } from '../errors.js';
import { newId, randomString } from '../ids.js';
import type { StrategyDimension } from '../store/schema.js';
import { CLIENT_IP_PURPOSE, DEVICE_PURPOSE, IDENTITY_PURPOSE } from './sessions.js';
import { createStrategyService, type LimitCheck } from './strategies.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROWS = Number(opt('--rows') ?? 100_000);
const pg = opt('--pg');
const dir = mkdtempSync(path.join(os.tmpdir(), 'shiren-strategies-bench-'));
const core = await openCore(
  loadConfig({ LOG_LEVEL: 'silent', SHIREN_ENGINE: 'off', DATA_DIR: dir, ...(pg ? { DATABASE_URL: pg } : {}) }),
);
try {
  const db = core.store.db;
  const { plans } = await seedBenchPlans(core, 4, 720);
  const digest = (purpose: string, n: number) => core.keyring.digest(purpose, `${purpose}-${n}`);
  const people = Array.from({ length: 20_000 }, (_, i) => digest(IDENTITY_PURPOSE, i));
  const devices = Array.from({ length: 5_000 }, (_, i) => digest(DEVICE_PURPOSE, i));
  const ips = Array.from({ length: 2_000 }, (_, i) => digest(CLIENT_IP_PURPOSE, i));
  const end = Date.now();
  const span = 7 * 86400_000;
  const seedStarted = Date.now();
  for (let start = 0; start < ROWS; start += 1000) {
    const sessions = [];
    const attempts = [];
    for (let i = start; i < Math.min(ROWS, start + 1000); i++) {
      const plan = plans[i % plans.length]!;
      const created = new Date(end - Math.floor((i / ROWS) * span) - (i % 997));
      const id = newId('vs');
      // value 0 of each kind is busy (every 100th session), the rest spread evenly
      const device = devices[i % 100 === 0 ? 0 : 1 + ((i * 31) % (devices.length - 1))]!;
      const ip = ips[i % 100 === 0 ? 0 : 1 + ((i * 17) % (ips.length - 1))]!;
      sessions.push({
        id,
        token: randomString(24),
        app_id: plan.app_id,
        plan_id: plan.id,
        status: 'failed' as const,
        identity_number_digest: people[i % 100 === 0 ? 0 : 1 + ((i * 7919) % (people.length - 1))]!,
        created_at: created,
        expires_at: new Date(created.getTime() + 7200_000),
        purge_at: new Date(end + 86400_000),
        media_purge_at: new Date(end + 86400_000),
        client_ip_digest: ip,
        device_digest: device,
        outer_order_no: null,
        identity_name_enc: null,
        identity_number_enc: null,
        reference_blob_key: null,
        previous_session_id: null,
        finished_at: null,
        result: null,
        best_frame_key: null,
        env_frame_key: null,
        user_agent: null,
      });
      for (const order of [1, 2])
        attempts.push({
          session_id: id,
          order,
          started_at: created,
          finished_at: new Date(created.getTime() + order * 20_000),
          passed: (i + order * 3) % 5 < 2,
          code: 'face_not_found',
          message: 'x',
          score: null,
          threshold: null,
          liveness_score: null,
          challenge: null,
          details: null,
          engine_calls: 1,
          client_ip_digest: ip,
          device_digest: device,
        });
    }
    await db.insertInto('verify_session').values(sessions).execute();
    await db.insertInto('verify_attempt').values(attempts).execute();
  }
  for (const t of ['verify_session', 'verify_attempt'])
    await db.executeQuery({ sql: `analyze ${t}`, parameters: [] } as never);
  console.log(
    `seeded ${ROWS} sessions and ${2 * ROWS} attempts on ${core.store.kind} in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`,
  );

  const strategies = createStrategyService({
    strategies: core.repos.strategies,
    apps: core.repos.apps,
    plans: core.repos.plans,
    audit: core.repos.audit,
  });
  const plan = plans[0]!;
  const busy: Record<StrategyDimension, string> = { id_number: people[0]!, device: devices[0]!, ip: ips[0]! };
  const quiet: Record<StrategyDimension, string> = { id_number: people[77]!, device: devices[77]!, ip: ips[77]! };
  for (const dimension of ['id_number', 'device', 'ip'] as const) {
    for (const scope of ['every app', 'app', 'plan'] as const) {
      const rule = await strategies.create(
        {
          dimension,
          maxCount: 5,
          windowMinutes: 1440,
          ...(scope === 'app' ? { appId: plan.app_id } : scope === 'plan' ? { planId: plan.id } : {}),
        },
        'bench',
      );
      for (const [label, value] of [
        ['busy', busy[dimension]],
        ['quiet', quiet[dimension]],
      ] as const) {
        const check: LimitCheck = { dimension, digest: value, appId: plan.app_id, planId: plan.id, at: new Date() };
        const run = async () => {
          try {
            await strategies.enforce(check);
            return 'allowed';
          } catch (err) {
            if (isShirenError(err) && (err.reason === 'rate_limited' || err.reason === 'too_many_failures'))
              return 'refused';
            throw err;
          }
        };
        const outcome = await run();
        const times: number[] = [];
        for (let i = 0; i < 7; i++) {
          const t0 = performance.now();
          await run();
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        console.log(
          `${`${dimension}, ${scope}, ${label}`.padEnd(28)} ${outcome.padEnd(8)} median ${times[3]!.toFixed(2)} ms  max ${times[6]!.toFixed(2)} ms`,
        );
      }
      await strategies.remove(rule.id, 'bench');
      if (args.includes('--explain') && dimension !== 'id_number') {
        const col = dimension === 'device' ? 'device_digest' : 'client_ip_digest';
        const where =
          scope === 'app' ? `and s.app_id = '${plan.app_id}'` : scope === 'plan' ? `and s.plan_id = ${plan.id}` : '';
        const q = `explain analyze select a.finished_at from verify_attempt a join verify_session s on s.id = a.session_id where a.${col} = '${quiet[dimension]}' and a.passed = false and a.finished_at > now() - interval '1 day' ${where} order by a.finished_at desc offset 4 limit 1`;
        const rows = (await db.executeQuery<Record<string, string>>({ sql: q, parameters: [] } as never)).rows;
        console.log(rows.map((r) => Object.values(r).join(' ')).join('\n'));
      }
    }
  }
} finally {
  await core.close();
  rmSync(dir, { recursive: true, force: true });
}
