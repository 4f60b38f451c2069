/**
 * The records search with 100,000 sessions:
 * `npx tsx src/verify/records-bench.ts [--pg postgres://…/db] [--rows N] [--no-export]`.
 * Seeds a fresh database (PGlite in a temp directory by default; with --pg, an existing empty database) with N
 * sessions over 90 days, 2 apps, 6 plans, 20,000 people, realistic result codes, then times each console search
 * and statistics query and each statistics breakdown (median of 7 runs after a warm-up) through the services the
 * console API calls, then one CSV export of every row (not with --no-export). Seeded sessions carry a province code
 * from their person's ID number and a device OS (open ones none), in plausible shares.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { seedBenchPlans } from './bench-seed.js';
import { openCore } from '../core.js';
import { newId, randomString } from '../ids.js';
import { createTransactor } from '../store/repos/index.js';
import { createExportService } from './exports.js';
import { createRecordService, type RecordQuery } from './records.js';
import { IDENTITY_PURPOSE } from './sessions.js';
import { PROVINCES, provinceCode } from './dimensions.js';
import { createStatisticsService, type BreakdownQuery, type Statistics, type StatisticsQuery } from './statistics.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROWS = Number(opt('--rows') ?? 100_000);
const pg = opt('--pg');
const dir = mkdtempSync(path.join(os.tmpdir(), 'shiren-records-bench-'));
const core = await openCore(
  loadConfig({ LOG_LEVEL: 'silent', SHIREN_ENGINE: 'off', DATA_DIR: dir, ...(pg ? { DATABASE_URL: pg } : {}) }),
);
try {
  const db = core.store.db;
  const box = core.keyring.box(IDENTITY_PURPOSE);
  const { plans } = await seedBenchPlans(core, 6, 72);
  // 20,000 people with valid-looking 18-character numbers (checksums do not matter for the digest look-up), from
  // every province (Guangdong, Henan, Shandong, Sichuan, Jiangsu more often) and 1 % with an unknown code (99).
  const provinces = [...Object.keys(PROVINCES), '44', '44', '44', '41', '41', '37', '37', '51', '51', '32', '32'];
  const people = Array.from({ length: 20_000 }, (_, i) => {
    const code = i % 100 === 0 ? '99' : provinces[(i * 13) % provinces.length]!;
    return { name: `测试${i}`, idNumber: `${code}01011990${String(i).padStart(8, '0')}` };
  });
  const enc = people.map((p) => ({
    name: box.encrypt(p.name),
    number: box.encrypt(p.idNumber),
    digest: core.keyring.digest(IDENTITY_PURPOSE, p.idNumber),
    province: provinceCode(p.idNumber),
  }));
  // Device OS shares of Chinese mobile traffic, roughly: Android, iOS, HarmonyOS, then desktops.
  const oses = [
    ...Array<string>(45).fill('Android'),
    ...Array<string>(33).fill('iOS'),
    ...Array<string>(14).fill('HarmonyOS'),
    ...Array<string>(4).fill('Windows'),
    'macOS',
    'macOS',
    'Linux',
    'other',
  ];
  const codes = [
    ...Array<string>(70).fill('ok'),
    ...Array<string>(15).fill('compare_failed'),
    ...Array<string>(10).fill('liveness_passive_failed'),
    ...Array<string>(4).fill('face_not_found'),
    'quality_too_low',
  ];
  const end = Date.now();
  const span = 90 * 86400_000;
  const seedStarted = Date.now();
  for (let start = 0; start < ROWS; start += 1000) {
    const batch = [];
    for (let i = start; i < Math.min(ROWS, start + 1000); i++) {
      const plan = plans[i % plans.length]!;
      const who = enc[(i * 7919) % enc.length]!;
      const created = new Date(end - Math.floor((i / ROWS) * span) - (i % 997));
      const open = i % 50 === 0;
      const code = codes[i % codes.length]!;
      batch.push({
        id: newId('vs'),
        token: randomString(24),
        app_id: plan.app_id,
        plan_id: plan.id,
        status: open ? ('created' as const) : code === 'ok' ? ('passed' as const) : ('failed' as const),
        outer_order_no: `order-${i}`,
        identity_name_enc: who.name,
        identity_number_enc: who.number,
        identity_number_digest: who.digest,
        id_province: who.province,
        // Open sessions were never opened on a device (no user agent); the others on one of the OSes.
        device_os: open ? null : oses[(i * 37) % oses.length]!,
        created_at: created,
        expires_at: new Date(created.getTime() + 7200_000),
        finished_at: open ? null : new Date(created.getTime() + 30_000),
        result: open
          ? null
          : JSON.stringify({
              passed: code === 'ok',
              code,
              message: code,
              score: 80,
              threshold: 70,
              livenessScore: 0.9,
            }),
        purge_at: new Date(end + 86400_000),
        media_purge_at: new Date(end + 86400_000),
      });
    }
    await db.insertInto('verify_session').values(batch).execute();
  }
  // On PostgreSQL, as autovacuum would leave a settled table: statistics and the visibility map (index-only scans).
  if (core.store.kind === 'postgres')
    await db.executeQuery({ sql: 'vacuum analyze verify_session', parameters: [] } as never);
  console.log(`seeded ${ROWS} sessions on ${core.store.kind} in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

  const sessionsStub = {} as Parameters<typeof createRecordService>[0]['sessions'];
  const records = createRecordService({ repos: core.repos, sessions: sessionsStub, keyring: core.keyring });
  const day = new Date(end - 86400_000).toISOString();
  const first = await records.search({ limit: 50 });
  let cursor = first.nextCursor!;
  for (let i = 0; i < 20; i++) cursor = (await records.search({ limit: 50, cursor })).nextCursor!;
  const cases: [string, RecordQuery, (n: number) => boolean][] = [
    ['newest 50, no filter', { limit: 50 }, (n) => n === 50],
    ['page 22 by keyset cursor', { limit: 50, cursor }, (n) => n === 50],
    ['OuterOrderNo', { outerOrderNo: `order-${Math.floor(ROWS / 2)}` }, (n) => n === 1],
    ['ID number (digest)', { idNumber: people[1234]!.idNumber }, (n) => n >= 1],
    ['result code quality_too_low', { resultCode: 'quality_too_low' }, (n) => n === 50],
    ['result code matching nothing (worst case)', { resultCode: 'no_such_code' }, (n) => n === 0],
    ['plan + status failed', { planId: plans[3]!.id, status: 'failed' }, (n) => n === 50],
    ['last 24 h, app bench-b', { from: day, app: 'bench-b' }, (n) => n > 0],
    ['status created (open, not expired)', { status: 'created' }, (n) => n >= 0],
  ];
  for (const [label, q, ok] of cases) {
    const n = (await records.search(q)).records.length;
    if (!ok(n)) throw new Error(`${label}: unexpected ${n} records`);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      await records.search(q);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(44)} ${String(n).padStart(3)} rows  median ${times[3]!.toFixed(1)} ms  max ${times[6]!.toFixed(1)} ms`,
    );
  }
  const stats = createStatisticsService({ repos: core.repos });
  const statCases: [string, StatisticsQuery, (s: Statistics) => boolean][] = [
    [
      'statistics: 90 days by day, Asia/Shanghai',
      { unit: 'day', timeZone: 'Asia/Shanghai', from: new Date(end - span - 86400_000).toISOString() },
      (s) => s.totals.total === ROWS,
    ],
    ['statistics: last 24 h by hour, one plan', { unit: 'hour', planId: plans[2]!.id }, (s) => s.buckets.length > 0],
  ];
  for (const [label, q, ok] of statCases) {
    const first = await stats.get(q);
    if (!ok(first)) throw new Error(`${label}: unexpected ${JSON.stringify(first.totals)}`);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      await stats.get(q);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(44)} ${String(first.buckets.length).padStart(3)} bkts  median ${times[3]!.toFixed(1)} ms  max ${times[6]!.toFixed(1)} ms`,
    );
  }
  const days90 = new Date(end - span - 86400_000).toISOString();
  const breakdownCases: [string, BreakdownQuery][] = [
    ['breakdown by plan, 90 days', { by: 'plan', from: days90 }],
    ['breakdown by app, 90 days', { by: 'app', from: days90 }],
    ['breakdown by OS, 90 days', { by: 'os', from: days90 }],
    ['breakdown by province, 90 days', { by: 'province', from: days90 }],
    ['breakdown by stage, 90 days', { by: 'stage', from: days90 }],
    ['breakdown by reason, 90 days', { by: 'reason', from: days90 }],
    ['breakdown by OS, 90 days, app bench-b', { by: 'os', from: days90, app: 'bench-b' }],
    ['breakdown by province, 90 days, one plan', { by: 'province', from: days90, planId: plans[2]!.id }],
    ['breakdown by stage, last 24 h', { by: 'stage', from: day }],
    ['breakdown by province, last 7 days', { by: 'province', from: new Date(end - 7 * 86400_000).toISOString() }],
  ];
  for (const [label, q] of breakdownCases) {
    const first = await stats.breakdown(q);
    if (first.by === 'plan' && first.totals.total !== ROWS) throw new Error(`${label}: ${first.totals.total} rows`);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      await stats.breakdown(q);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(44)} ${String(first.groups.length).padStart(3)} grps  median ${times[3]!.toFixed(1)} ms  max ${times[6]!.toFixed(1)} ms`,
    );
  }
  // CSV export of every row through the export service (one job, run here).
  if (!args.includes('--no-export')) {
    const exporter = createExportService({
      repos: core.repos,
      transaction: createTransactor(db),
      blobs: core.blobs,
      records,
      runOnCreate: false,
    });
    const job = await exporter.create({}, 'bench');
    const t0 = performance.now();
    await exporter.runDue();
    const ms = performance.now() - t0;
    const done = await exporter.get(job.id);
    const file = await exporter.download(job.id, 'bench');
    if (done.status !== 'done' || done.rowsDone !== ROWS) throw new Error(`export: ${JSON.stringify(done)}`);
    console.log(
      `${'CSV export of every row'.padEnd(44)} ${ROWS} rows  ${(ms / 1000).toFixed(2)} s  ${(file.csv.length / 1e6).toFixed(1)} MB (${(file.csv.length / ROWS).toFixed(0)} B/row)`,
    );
  }
} finally {
  await core.close();
  rmSync(dir, { recursive: true, force: true });
}
