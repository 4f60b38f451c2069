/**
 * CSV exports of the console over HTTP (inject) on both database backends: an export with filters runs in the
 * background to done, its CSV has the header and the filtered rows with masked identities, quoted cells and the
 * formula-injection guard; the CSRF token is required; every role may export; the download is audited; an expired
 * export is refused with a clear error and its blob is deleted for real; a job abandoned by a dead worker is taken
 * over. Sessions are created through the native API; the clock is injected.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BACKENDS } from '../../../test/helpers.js';
import type { Core } from '../../core.js';
import { CSV_COLUMNS, csvCell, type ExportService } from '../../verify/exports.js';
import { createPlanService } from '../../verify/plans.js';
import { consoleClient, openConsoleTestApp, type ConsoleTestApp, type Signed } from './console-test-helpers.js';
import { planRoutes } from './plan-routes.js';
import { sessionRoutes } from './session-routes.js';

const ID_A = '11010519491231002X';
const ID_B = '110101199003074514';

/** A small RFC 4180 parser (quoted cells, doubled quotes, CRLF), to read the file back independently. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  assert.equal(cell, '', 'the file ends with CRLF');
  return rows;
}

test('csvCell: quoting and the formula guard', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(41.5), '41.5');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('line\nbreak'), '"line\nbreak"');
  assert.equal(csvCell('=1+1'), "'=1+1");
  assert.equal(csvCell('+1'), "'+1");
  assert.equal(csvCell('-1'), "'-1");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tx'), "'\tx");
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), '"\'=HYPERLINK(""http://x"",""y"")"');
});

for (const backend of BACKENDS) {
  describe(`console CSV export on ${backend.name}`, () => {
    let app: FastifyInstance;
    let core: Core;
    let exportsService: ExportService;
    let t: ConsoleTestApp;
    let bearer: string;
    let adminPassword: string;
    let clock = new Date('2026-05-01T08:00:00Z');
    const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));
    let admin: Signed;
    let auditor: Signed;
    let planId: number;
    const tokens: string[] = [];

    const { call, signIn } = consoleClient({ app: () => app, ip: '203.0.113.20', bearer: () => bearer });

    async function exportDone(as: Signed, filters: Record<string, unknown>) {
      const res = await call('POST', '/v1/console/exports', { as, body: filters });
      assert.equal(res.statusCode, 202, res.body);
      const id = res.json().id as string;
      assert.match(id, /^[a-f0-9]{32}$/);
      assert.ok(['queued', 'running', 'done'].includes(res.json().status));
      let job = res.json();
      for (let i = 0; i < 200 && job.status !== 'done' && job.status !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 20));
        job = (await call('GET', `/v1/console/exports/${id}`, { as })).json();
      }
      assert.equal(job.status, 'done', JSON.stringify(job));
      // The in-process run that made it also purges expired exports when it ends: let it end before the test moves
      // the clock, or it may purge what the test means to see expiring.
      await exportsService.idle();
      return job as { id: string; rowsTotal: number; rowsDone: number; downloadUrl: string; expiresAt: string };
    }

    before(async () => {
      const now = () => clock;
      t = await openConsoleTestApp({
        backend,
        ip: '203.0.113.20',
        now,
        nativeRoutes: (core, sessions) => [
          planRoutes(
            createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring, now }),
          ),
          sessionRoutes(sessions),
        ],
      });
      ({ app, core } = t);
      bearer = `Bearer ${t.creds.accessKey.accessKeyId}:${t.creds.accessKey.accessKeySecret}`;
      exportsService = t.deps.exports!;
      adminPassword = t.creds.admin.password;
      admin = await t.signInAdmin();
      auditor = await t.addUser('audrey', 'auditor', 'auditor password 1');

      const planRes = await call('POST', '/v1/plans', {
        body: { name: 'export kyc', livenessMode: 'none', compareSource: 'none', identityInput: 'preset' },
      });
      assert.equal(planRes.statusCode, 200, planRes.body);
      planId = planRes.json().plan.id;
      const orders = [
        'order-0',
        '=HYPERLINK("http://evil.example/","click"),1',
        '@SUM(A1)',
        'order, with comma',
        '-2+3',
      ];
      for (let i = 0; i < orders.length; i++) {
        const res = await call('POST', '/v1/sessions', {
          body: {
            planId,
            outerOrderNo: orders[i],
            identity: { name: i === 3 ? '张三' : '李四', idNumber: i === 3 ? ID_A : ID_B },
          },
        });
        assert.equal(res.statusCode, 200, res.body);
        tokens.push(res.json().token);
        advance(1000);
      }
      const row = await core.repos.sessions.findByToken(tokens[1]!);
      await core.repos.sessions.update(row!.id, {
        status: 'failed',
        finished_at: clock,
        result: JSON.stringify({
          passed: false,
          code: 'compare_failed',
          message: 'x',
          score: 41.5,
          threshold: 70,
          livenessScore: 88.25,
        }),
      });
    });
    after(async () => {
      await exportsService?.idle();
      await t?.close();
    });

    test('an export of a plan runs to done; the CSV has the header, every row, masked identities, the guard', async () => {
      const job = await exportDone(admin, { planId });
      assert.equal(job.rowsTotal, 5);
      assert.equal(job.rowsDone, 5);
      assert.equal(job.downloadUrl, `/v1/console/exports/${job.id}/download`);
      assert.equal(new Date(job.expiresAt).getTime() - clock.getTime(), 24 * 3600_000);

      const res = await call('GET', job.downloadUrl, { as: admin });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/);
      assert.match(String(res.headers['content-disposition']), /^attachment; filename="shiren-records-2026-05-01-/);
      assert.equal(res.headers['cache-control'], 'no-store');
      const text = res.rawPayload.toString('utf8');
      assert.ok(text.startsWith('\uFEFF'), 'UTF-8 BOM for spreadsheets');
      assert.equal(text.split('\r\n')[0], '\uFEFF' + CSV_COLUMNS.join(','));
      const rows = parseCsv(text.slice(1));
      assert.deepEqual(rows[0], [...CSV_COLUMNS]);
      assert.equal(rows.length, 6);
      const body = rows.slice(1);
      assert.ok(body.every((r) => r.length === CSV_COLUMNS.length));
      const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
      // Newest first, as the search.
      assert.deepEqual(
        body.map((r) => r[col('token')]),
        [...tokens].reverse(),
      );
      const byToken = new Map(body.map((r) => [r[col('token')]!, r]));
      const failed = byToken.get(tokens[1]!)!;
      assert.equal(failed[col('status')], 'failed');
      assert.equal(failed[col('result_code')], 'compare_failed');
      assert.equal(failed[col('score')], '41.5');
      assert.equal(failed[col('threshold')], '70');
      assert.equal(failed[col('liveness_score')], '88.25');
      assert.equal(failed[col('plan_id')], String(planId));
      assert.equal(failed[col('app')], 'default');
      assert.equal(failed[col('created_at')], '2026-05-01T08:00:01.000Z');
      // Formula guard: the cells read back with the leading quote; quoting keeps commas and quotes inside one cell.
      assert.equal(failed[col('outer_order_no')], `'=HYPERLINK("http://evil.example/","click"),1`);
      assert.equal(byToken.get(tokens[2]!)![col('outer_order_no')], "'@SUM(A1)");
      assert.equal(byToken.get(tokens[4]!)![col('outer_order_no')], "'-2+3");
      assert.equal(byToken.get(tokens[3]!)![col('outer_order_no')], 'order, with comma');
      assert.equal(byToken.get(tokens[0]!)![col('status')], 'created');
      // Masking: no full ID number or name anywhere in the file.
      assert.deepEqual(
        [byToken.get(tokens[3]!)![col('name')], byToken.get(tokens[3]!)![col('id_number')]],
        ['张*', '110***********002X'],
      );
      assert.equal(byToken.get(tokens[0]!)![col('id_number')], '110***********4514');
      for (const secret of [ID_A, ID_B, '张三', '李四']) assert.ok(!text.includes(secret), secret);
      // The blob is stored encrypted: the raw file on disk holds neither the header nor a masked number.
      assert.ok(await core.blobs.exists(`exports/${job.id}.csv`));
      const raw = await readFile(path.join(core.config.dataDir, 'blobs', 'objects', 'exports', `${job.id}.csv`));
      assert.ok(raw.length > 0);
      assert.ok(!raw.includes('created_at,app') && !raw.includes('110***'), 'encrypted at rest');

      const audit = await call('GET', '/v1/console/audit?actor=console%3Aadmin&action=export.&limit=50', { as: admin });
      const actions = (audit.json().entries as { action: string; target: string }[]).filter((e) => e.target === job.id);
      assert.deepEqual(actions.map((e) => e.action).sort(), ['export.create', 'export.download']);
    });

    test('filters: an ID number (stored only as its digest) and a result code; the auditor may export', async () => {
      const byId = await exportDone(auditor, { idNumber: ID_A.toLowerCase() });
      assert.equal(byId.rowsDone, 1);
      const stored = await core.repos.exports.findById(byId.id);
      assert.ok(!JSON.stringify(stored!.filters).includes(ID_A), 'no clear-text ID number in the job row');
      assert.equal(
        (await call('GET', `/v1/console/exports/${byId.id}`, { as: auditor })).json().filters.idNumber,
        'given',
      );
      const csv = (await call('GET', `/v1/console/exports/${byId.id}/download`, { as: auditor })).rawPayload.toString();
      const rows = parseCsv(csv.slice(1));
      assert.equal(rows.length, 2);
      assert.equal(rows[1]![CSV_COLUMNS.indexOf('token')], tokens[3]);

      const byCode = await exportDone(admin, { resultCode: 'compare_failed', planId });
      assert.equal(byCode.rowsDone, 1);
      const none = await exportDone(admin, { app: 'no-such-app' });
      assert.equal(none.rowsTotal, 0);
      const empty = (await call('GET', `/v1/console/exports/${none.id}/download`, { as: admin })).rawPayload.toString();
      assert.equal(empty, '\uFEFF' + CSV_COLUMNS.join(',') + '\r\n', 'only the header');
    });

    test('bad filters 400, CSRF and sign-in required, unknown id 404', async () => {
      const bad = await call('POST', '/v1/console/exports', { as: admin, body: { from: 'yesterday' } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.details.field, 'from');
      const extra = await call('POST', '/v1/console/exports', { as: admin, body: { cursor: 'x' } });
      assert.equal(extra.statusCode, 400);
      const noCsrf = await call('POST', '/v1/console/exports', { as: admin, body: { planId }, csrf: null });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal(noCsrf.json().error.details.csrf, 'invalid');
      const wrongCsrf = await call('POST', '/v1/console/exports', { as: admin, body: { planId }, csrf: auditor.csrf });
      assert.equal(wrongCsrf.statusCode, 403);
      assert.equal((await call('POST', '/v1/console/exports', { body: { planId } })).statusCode, 401);
      assert.equal((await call('GET', `/v1/console/exports/${'0'.repeat(32)}`, { as: admin })).statusCode, 404);
      assert.equal((await call('GET', '/v1/console/exports/nope/download', { as: admin })).statusCode, 400);
    });

    test('not done yet: 409; an abandoned running job is taken over after its heartbeat goes stale', async () => {
      const job = await core.repos.exports.insert({
        id: 'a'.repeat(32),
        requested_by: 'console:admin',
        filters: { planId },
        expires_at: new Date(clock.getTime() + 3600_000),
      });
      // A worker that died while running it.
      await core.repos.exports.start(job.id, clock);
      const early = await call('GET', `/v1/console/exports/${job.id}/download`, { as: admin });
      assert.equal(early.statusCode, 409);
      assert.equal(early.json().error.details.status, 'running');
      assert.equal((await exportsService.runDue()).ran, 0, 'a fresh heartbeat is left alone');
      advance(3 * 60_000);
      assert.equal((await exportsService.runDue()).ran, 1);
      const done = (await call('GET', `/v1/console/exports/${job.id}`, { as: admin })).json();
      assert.equal(done.status, 'done');
      assert.equal(done.rowsDone, 5);
    });

    test('an expired export is refused with a clear error and its blob is deleted for real', async () => {
      const job = await exportDone(admin, { planId });
      const key = `exports/${job.id}.csv`;
      assert.ok(await core.blobs.exists(key));
      advance(24 * 3600_000 + 1);
      admin = await signIn('admin', adminPassword); // the console session itself timed out
      const view = (await call('GET', `/v1/console/exports/${job.id}`, { as: admin })).json();
      assert.equal(view.status, 'expired');
      assert.equal(view.downloadUrl, null);
      const res = await call('GET', `/v1/console/exports/${job.id}/download`, { as: admin });
      assert.equal(res.statusCode, 409);
      assert.equal(res.json().error.details.status, 'expired');
      assert.match(res.json().error.message, /expired/);
      const { expired } = await exportsService.runDue();
      assert.ok(expired >= 1);
      assert.equal(await core.blobs.exists(key), false);
      const row = await core.repos.exports.findById(job.id);
      assert.equal(row!.status, 'expired');
      assert.equal(row!.blob_key, null);
      assert.equal((await core.blobs.list('exports/')).length, 0, 'every export of the earlier tests expired too');
    });
  });
}
