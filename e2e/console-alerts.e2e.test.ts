/**
 * End to end: the Alerts screen on `shiren serve` (face engine off) in Debian's Chromium. The admin creates a volume
 * rule in the page with a webhook to an HTTP server on 127.0.0.1 (the generated secret is shown once), edits it, a
 * session is opened through the native API, and the server's own background job loop (every 60 s) fires the rule:
 * the signed webhook arrives and the event shows in the page. An auditor sees rules and events but no form, and the
 * server refuses a rule sent with the auditor's own session and CSRF token. Screenshots: test-results/console/*.png.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { shot, signIn, signInAsNewUser, startConsole } from './console-helpers.js';
import { SKIP_REASON, type LaunchedBrowser } from './browser.js';
import { nativeCall, type Served } from './serve.js';

describe('console alerts in Chromium on the real server', { skip: SKIP_REASON, timeout: 300_000 }, () => {
  let server: Served;
  let b: LaunchedBrowser;
  let adminPassword: string;
  let stop: (() => Promise<void>) | undefined;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = 204;
      res.end();
    });
  });

  before(async () => {
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    ({ server, b, adminPassword, stop } = await startConsole({ locale: 'zh-CN', acceptDialogs: true }));
  });
  after(async () => {
    await stop?.();
    await new Promise((resolve) => hook.close(resolve));
  });

  test('the admin creates and edits a rule in the page; the job loop fires it; the signed webhook arrives; the auditor only reads', async () => {
    const { page } = b;
    await signIn(page, server.base, 'admin', adminPassword);
    await page.click('[data-nav="alerts"]');
    await page.waitForSelector('[data-screen="alerts"] form[data-form="alert-rule"]');
    assert.match(await page.innerText('[data-screen="alerts"] h1'), /告警/);
    const form = 'form[data-form="alert-rule"]';
    await page.fill(`${form} input[name="name"]`, 'e2e volume');
    await page.selectOption(`${form} select[name="kind"]`, 'volume_above');
    await page.fill(`${form} input[name="threshold"]`, '5');
    await page.fill(`${form} input[name="windowMinutes"]`, '10');
    const port = (hook.address() as AddressInfo).port;
    await page.fill(`${form} input[name="webhookUrl"]`, `http://127.0.0.1:${port}/alert`);
    await page.click(`${form} button[data-action="save-rule"]`);
    await page.waitForSelector('[data-notice="ok"]', { timeout: 10_000 }).catch(async (err: unknown) => {
      await shot(page, 'alerts-00-failed');
      throw new Error(`${String(err)}\npage: ${await page.innerText('main')}\nerrors: ${b.errors.join('\n')}`);
    });
    const secret = /[:：]\s*(\S+)$/.exec(await page.innerText('[data-notice="ok"]'))?.[1] ?? '';
    assert.match(secret, /^[A-Za-z0-9_-]{32}$/, 'the generated secret is shown once');
    await page.waitForSelector('[data-rule="e2e volume"]');
    await shot(page, 'alerts-01-rule-created');

    // Edit: the threshold goes down to 0, so one session fires it.
    await page.click('[data-table="alert-rules"] button[data-action="edit-rule"]');
    assert.equal(await page.inputValue(`${form} input[name="threshold"]`), '5');
    await page.fill(`${form} input[name="threshold"]`, '0');
    await page.click(`${form} button[data-action="save-rule"]`);
    await page.waitForFunction(() =>
      document.querySelector('[data-table="alert-rules"]')?.textContent?.includes('> 0'),
    );
    assert.equal(await page.locator('[data-notice="ok"]').count(), 0, 'the kept secret is not shown again');

    const plan = await nativeCall<{ plan: { id: number } }>(server, 'POST', '/v1/plans', {
      name: 'alerts e2e',
      livenessMode: 'none',
    });
    assert.equal(plan.status, 200, JSON.stringify(plan.body));
    const s = await nativeCall(server, 'POST', '/v1/sessions', { planId: plan.body.plan.id });
    assert.equal(s.status, 200, JSON.stringify(s.body));

    // The server's job loop evaluates every 60 s.
    const deadline = Date.now() + 90_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
    assert.equal(received.length, 1, `webhook received (server log: ${server.logs()})`);
    const got = received[0]!;
    const ts = String(got.headers['x-shiren-timestamp']);
    assert.equal(
      got.headers['x-shiren-signature'],
      createHmac('sha256', secret).update(`${ts}.${got.body}`).digest('hex'),
    );
    const body = JSON.parse(got.body);
    assert.equal(body.rule.name, 'e2e volume');
    assert.equal(body.value, 1);
    assert.equal(body.threshold, 0);

    await page.reload();
    await page.waitForSelector('[data-table="alert-events"]');
    assert.equal(await page.getAttribute('[data-table="alert-events"] [data-event-value]', 'data-event-value'), '1');
    assert.match(await page.innerText('[data-table="alert-events"]'), /已送达/);
    await shot(page, 'alerts-02-event');

    // An auditor: rules and events, no form; the server refuses a rule with the auditor's own session.
    await signInAsNewUser(page, server.base, 'alerts-auditor', 'long enough password 7', 'auditor');
    await page.click('[data-nav="alerts"]');
    await page.waitForSelector('[data-table="alert-events"]');
    assert.equal(await page.locator('form[data-form="alert-rule"]').count(), 0);
    assert.equal(await page.locator('button[data-action="delete-rule"]').count(), 0);
    const refused = await page.evaluate(async () => {
      const me = await (await fetch('/v1/console/session')).json();
      const res = await fetch('/v1/console/alerts/rules', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ name: 'x', kind: 'volume_above', threshold: 1, windowMinutes: 1 }),
      });
      return res.status;
    });
    assert.equal(refused, 403);
    await shot(page, 'alerts-03-auditor');
  });
});
