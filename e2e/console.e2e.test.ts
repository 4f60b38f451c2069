/**
 * End to end: `shiren serve` (face engine off: no capture here) with the built console at /console/, driven in Debian's
 * Chromium. The first-run admin signs in, creates a plan in the page, finds a record created on it through the native
 * API by OuterOrderNo and by ID number, opens its detail (identity masked), creates an access key in the page (secret
 * shown once) and disables it (refused on the next native call), creates an auditor, sees the changes in the audit log
 * and the record in the statistics chart; the auditor signs in, sees no controls, and the server answers 403 to a
 * change sent with the auditor's own session and CSRF token. The admin also exports the searched record as CSV and
 * downloads it. Screenshots: test-results/console/*.png.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { ensureConsoleBuild, shot, signIn } from './console-helpers.js';
import { launch, SKIP_REASON, type LaunchedBrowser } from './browser.js';
import { nativeCall, serve, type Served } from './serve.js';

const ID_NUMBER = '11010519491231002X';

/** Page errors, minus the 401/403 answers the browser logs for refused calls the test provokes on purpose. */
const unexpected = (errors: string[]) =>
  errors.filter((e) => !/^console: Failed to load resource: the server responded with a status of 40[13] /.test(e));

describe('console in Chromium on the real server', { skip: SKIP_REASON, timeout: 300_000 }, () => {
  let server: Served;
  let b: LaunchedBrowser;
  let adminPassword: string;
  let token: string;

  before(async () => {
    await ensureConsoleBuild();
    server = await serve({ SHIREN_ENGINE: 'off' });
    adminPassword = /username admin\s+password (\S+)/.exec(server.banner)?.[1] ?? '';
    assert.ok(adminPassword, 'the first-run admin password is in the banner');
    b = await launch({ locale: 'zh-CN' });
    await b.page.setViewportSize({ width: 1280, height: 900 });
    b.page.on('dialog', (d) => void d.accept());
  });
  after(async () => {
    await b?.close();
    await server?.stop();
  });

  test('the admin signs in, creates a plan, finds the record, opens its detail; creates and disables a key; creates an auditor', async () => {
    const { page } = b;
    const html = await fetch(`${server.base}/console/`);
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-security-policy') ?? '', /default-src 'self'.*frame-ancestors 'none'/);
    assert.equal(html.headers.get('x-frame-options'), 'DENY');
    await page.goto(`${server.base}/console/`);
    await page.waitForSelector('[data-screen="sign-in"]');
    await page.fill('input[name="username"]', 'admin');
    await page.fill('input[name="password"]', 'not the password');
    await page.click('form[data-form="sign-in"] button[type="submit"]');
    assert.match(await page.innerText('[data-notice="error"]'), /用户名或密码错误/);
    await shot(page, '01-sign-in-wrong');
    await signIn(page, server.base, 'admin', adminPassword);
    await page.waitForSelector('[data-screen="records"] [data-table="records"]');
    assert.equal(await page.locator('[data-readonly]').count(), 0);

    // A plan created in the page; the operator's app then opens a session on it through the native API.
    await page.click('[data-nav="plans"]');
    await page.waitForSelector('form[data-form="create-plan"]');
    await page.fill('form[data-form="create-plan"] input[name="name"]', 'e2e console plan');
    await page.selectOption('form[data-form="create-plan"] select[name="livenessMode"]', 'none');
    await page.selectOption('form[data-form="create-plan"] select[name="identityInput"]', 'preset');
    await page.click('form[data-form="create-plan"] button[type="submit"]');
    await page.waitForSelector('[data-plan="e2e console plan"]');
    const planId = Number(await page.getAttribute('[data-plan="e2e console plan"]', 'data-plan-id'));
    await shot(page, '02-plan-created');
    const s = await nativeCall<{ token: string }>(server, 'POST', '/v1/sessions', {
      planId,
      outerOrderNo: 'e2e-console-001',
      identity: { name: '王小明', idNumber: ID_NUMBER },
    });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    token = s.body.token;
    await page.click('[data-nav="records"]');
    await page.waitForSelector('form[data-form="records"]');

    // Search by OuterOrderNo, then open the detail.
    await page.fill('input[name="outerOrderNo"]', 'e2e-console-001');
    await page.click('form[data-form="records"] button[type="submit"]');
    await page.waitForSelector(`[data-record="${token}"]`);
    assert.equal(await page.locator('[data-record]').count(), 1);
    const row = await page.innerText(`tr:has([data-record="${token}"])`);
    assert.match(row, /王\*/);
    assert.match(row, /110\*{11}002X/);
    assert.doesNotMatch(await page.content(), new RegExp(ID_NUMBER), 'the full ID number is never on the page');
    await shot(page, '03-records-search');
    // CSV export of the current filter (this OuterOrderNo): a background job, a progress line, then a download link.
    await page.click('[data-action="export"]');
    await page.waitForSelector('[data-export-link]', { timeout: 30_000 });
    assert.ok((await page.innerText('[data-export-status="done"]')).startsWith('导出完成(1 条)'));
    await shot(page, '03b-records-export');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-export-link]')]);
    assert.match(download.suggestedFilename(), /^shiren-records-\d{4}-\d\d-\d\d-[a-f0-9]{8}\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.split('\r\n');
    assert.equal(
      lines[0],
      '\uFEFFcreated_at,app,plan_id,token,outer_order_no,status,result_code,score,threshold,liveness_score,name,id_number',
    );
    assert.equal(lines.length, 3, 'header, one record, the final line break');
    assert.match(lines[1]!, new RegExp(`,${planId},${token},e2e-console-001,created,,,,,王\\*\\*,110\\*{11}002X$`));
    assert.ok(!csv.includes(ID_NUMBER), 'no full ID number in the file');
    // The same record by its full ID number (looked up by digest on the server).
    await page.click('a[href="#/records"].button');
    await page.fill('input[name="idNumber"]', ID_NUMBER);
    await page.click('form[data-form="records"] button[type="submit"]');
    await page.waitForSelector(`[data-record="${token}"]`);
    await page.click(`[data-record="${token}"]`);
    await page.waitForSelector('[data-screen="record"] [data-status]');
    assert.equal(await page.getAttribute('[data-status]', 'data-status'), 'created');
    const detail = await page.innerText('[data-screen="record"]');
    assert.match(detail, /e2e console plan/);
    assert.match(detail, /e2e-console-001/);
    assert.ok(await page.isVisible('[data-action="delete-record"]'));
    await shot(page, '04-record-detail');

    // A key made in the page works until it is disabled in the page.
    await page.click('[data-nav="apps"]');
    await page.waitForSelector('[data-screen="apps"] [data-table="keys"]');
    await page.fill('form[data-form="create-key"] input[name="app"]', 'e2e-shop');
    await page.click('form[data-form="create-key"] button[type="submit"]');
    await page.waitForSelector('[data-secret]');
    const keyId = (await page.getAttribute('[data-secret]', 'data-secret'))!;
    const secret = await page.innerText('[data-secret-value]');
    assert.equal(secret.length, 40);
    await shot(page, '05-key-created');
    const auth = `Bearer ${keyId}:${secret}`;
    const whoami = () => fetch(`${server.base}/v1/whoami`, { headers: { authorization: auth } });
    assert.equal((await whoami()).status, 200);
    await page.click(`[data-action="disable-key"][data-key="${keyId}"]`);
    await page.waitForSelector(`[data-action="disable-key"][data-key="${keyId}"]`, { state: 'detached' });
    const refused = await whoami();
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'access_key_disabled');
    assert.equal(await page.locator('[data-secret]').count(), 0, 'the secret is not shown again');
    await shot(page, '06-key-disabled');

    // An auditor, created in the page and visible in the audit log.
    await page.click('[data-nav="users"]');
    await page.waitForSelector('form[data-form="create-user"]');
    await page.fill('form[data-form="create-user"] input[name="username"]', 'audrey');
    await page.fill('form[data-form="create-user"] input[name="password"]', 'auditor password 1');
    await page.selectOption('form[data-form="create-user"] select[name="role"]', 'auditor');
    await page.click('form[data-form="create-user"] button[type="submit"]');
    await page.waitForSelector('[data-username="audrey"]');
    await shot(page, '07-users');
    await page.click('[data-nav="audit"]');
    await page.waitForSelector('[data-audit-action="console_user.create"]');
    const audit = await page.innerText('[data-table="audit"]');
    assert.match(audit, /console:admin/);
    assert.match(audit, /access_key\.disable/);
    assert.match(audit, /console\.sign_in_failed/);
    await shot(page, '08-audit-log');
    // The record is in the statistics chart: today's bar, as an open session.
    await page.click('[data-nav="stats"]');
    await page.waitForSelector('[data-chart="outcomes"] rect[data-series="open"]');
    assert.equal(await page.getAttribute('[data-total]', 'data-total'), '1');
    const bars = await page.$$eval('[data-chart="outcomes"] rect', (rs) =>
      rs.map((r) => ({ bucket: r.getAttribute('data-bucket'), series: r.getAttribute('data-series') })),
    );
    // The page asks for buckets in the browser's time zone, which is this machine's.
    const d = new Date();
    const today = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}T00:00`;
    assert.deepEqual(bars, [{ bucket: today, series: 'open' }]);
    // Breakdowns: the record's province (its ID number starts with 11) and its stage (open), no pass rate yet.
    await page.waitForSelector('[data-table="breakdown-province"] tr[data-group="11"]');
    assert.match(
      await page.innerText('[data-table="breakdown-province"] tr[data-group="11"]'),
      /^北京市\s+1\s+0\s+0\s+0\s+1\s+—/,
    );
    await page.waitForSelector('[data-chart="breakdown-stage"] rect[data-group="open"]');
    await shot(page, '09-statistics');
    await page.click('[data-action="sign-out"]');
    await page.waitForSelector('[data-screen="sign-in"]');
    assert.deepEqual(unexpected(b.errors), []);
  });

  test('the auditor sees no controls, and the server refuses a change with 403', async () => {
    const { page } = b;
    await page.click('[data-action="lang"]');
    await signIn(page, server.base, 'audrey', 'auditor password 1');
    await page.waitForSelector('[data-screen="records"] [data-readonly]');
    assert.match(await page.innerText('[data-readonly]'), /Read-only/);
    await page.goto(`${server.base}/console/#/records/${token}`);
    await page.waitForSelector('[data-screen="record"] [data-status]');
    assert.equal(await page.locator('[data-action="delete-record"]').count(), 0);
    await shot(page, '10-auditor-record');
    await page.click('[data-nav="apps"]');
    await page.waitForSelector('[data-screen="apps"] [data-table="keys"]');
    assert.equal(await page.locator('form[data-form="create-key"]').count(), 0);
    assert.equal(await page.locator('[data-action="disable-key"], [data-action="rotate-key"]').count(), 0);
    await page.click('[data-nav="users"]');
    await page.waitForSelector('[data-table="users"]');
    assert.equal(await page.locator('form[data-form="create-user"]').count(), 0);
    assert.equal(await page.locator('[data-action="delete-user"], select[data-user-role]').count(), 0);
    await shot(page, '11-auditor-users');

    // The page hides the controls; the server is what refuses: a change sent with the auditor's own cookie and token.
    const answer = await page.evaluate(async (t) => {
      const me = (await (await fetch('/v1/console/session')).json()) as { csrfToken: string };
      const del = await fetch(`/v1/console/records/${t}`, {
        method: 'DELETE',
        headers: { 'x-csrf-token': me.csrfToken },
      });
      const key = await fetch('/v1/console/keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ app: 'audrey-app' }),
      });
      return { del: del.status, key: key.status, body: (await key.json()) as { error: { code: string } } };
    }, token);
    assert.equal(answer.del, 403);
    assert.equal(answer.key, 403);
    assert.equal(answer.body.error.code, 'forbidden');
    // The record is still there.
    await page.reload();
    await page.waitForSelector('[data-screen="users"]');
    assert.equal((await nativeCall(server, 'GET', `/v1/sessions/${token}`)).status, 200);
    assert.deepEqual(unexpected(b.errors), []);
  });
});
