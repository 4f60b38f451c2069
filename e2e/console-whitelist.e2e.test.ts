/**
 * End to end: the Whitelist screen on `shiren serve` (face engine off) in Debian's Chromium. The admin adds an ID
 * number to a plan's whitelist in the page (only the masked value is shown), then an entry from a session's CertifyId,
 * removes one; an auditor sees the list but no form and the server refuses an entry sent with the auditor's own
 * session and CSRF token. Screenshots: test-results/console/whitelist-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shot, signIn, signInAsNewUser, startConsole } from './console-helpers.js';
import { SKIP_REASON, type LaunchedBrowser } from './browser.js';
import { nativeCall, type Served } from './serve.js';

const ID = '11010519491231002X';
const OTHER = '110101199003074514';

describe('console whitelist in Chromium on the real server', { skip: SKIP_REASON, timeout: 300_000 }, () => {
  let server: Served;
  let b: LaunchedBrowser;
  let adminPassword: string;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    ({ server, b, adminPassword, stop } = await startConsole({ locale: 'zh-CN', acceptDialogs: true }));
  });
  after(() => stop?.());

  test('the admin adds entries by ID number and by CertifyId and removes one; the auditor only reads', async () => {
    const plan = await nativeCall<{ plan: { id: number } }>(server, 'POST', '/v1/plans', {
      name: 'whitelist e2e',
      livenessMode: 'none',
      compareSource: 'none',
      identityInput: 'preset',
    });
    assert.equal(plan.status, 200, JSON.stringify(plan.body));
    const planId = plan.body.plan.id;
    const s = await nativeCall<{ token: string }>(server, 'POST', '/v1/sessions', {
      planId,
      identity: { name: '李四', idNumber: OTHER },
    });
    assert.equal(s.status, 200, JSON.stringify(s.body));

    const { page } = b;
    await signIn(page, server.base, 'admin', adminPassword);
    await page.click('[data-nav="whitelist"]');
    const form = 'form[data-form="whitelist"]';
    await page.waitForSelector(form);
    assert.match(await page.innerText('h1'), /白名单/);
    assert.match(await page.innerText('main'), /活体采集/, 'the note says the live capture is still required');
    await page.selectOption(`${form} select[name="planId"]`, String(planId));
    await page.fill(`${form} input[name="value"]`, ID);
    await page.fill(`${form} input[name="validDays"]`, '7');
    await page.fill(`${form} input[name="remark"]`, 'e2e');
    await page.click(`${form} button[data-action="add-whitelist"]`);
    await page
      .waitForSelector('[data-table="whitelist"] [data-masked="110***********002X"]', { timeout: 10_000 })
      .catch(async (err: unknown) => {
        await shot(page, 'whitelist-00-failed');
        throw new Error(`${String(err)}\npage: ${await page.innerText('main')}\nerrors: ${b.errors.join('\n')}`);
      });
    assert.ok(!(await page.innerText('main')).includes(ID), 'the number is shown masked only');

    await page.selectOption(`${form} select[name="planId"]`, String(planId));
    await page.selectOption(`${form} select[name="by"]`, 'certifyId');
    await page.fill(`${form} input[name="value"]`, s.body.token);
    await page.fill(`${form} input[name="validDays"]`, '1');
    await page.click(`${form} button[data-action="add-whitelist"]`);
    await page.waitForSelector('[data-table="whitelist"] [data-masked="110***********4514"]');
    assert.match(await page.innerText('[data-table="whitelist"]'), new RegExp(s.body.token));
    await shot(page, 'whitelist-01-entries');

    // A second entry for the same number and plan is refused with the server's message.
    await page.selectOption(`${form} select[name="by"]`, 'idNumber');
    await page.fill(`${form} input[name="value"]`, ID);
    await page.click(`${form} button[data-action="add-whitelist"]`);
    await page.waitForFunction(() => /already whitelisted/.test(document.querySelector('main')?.textContent ?? ''));

    await page.click(
      '[data-table="whitelist"] tr:has([data-masked="110***********4514"]) [data-action="remove-whitelist"]',
    );
    // The screen is drawn again after the removal: wait for the list, not just for the entry to be gone.
    await page.waitForFunction(
      () =>
        !document.querySelector('[data-masked="110***********4514"]') &&
        document.querySelectorAll('[data-table="whitelist"] [data-action="remove-whitelist"]').length > 0,
    );
    assert.equal(await page.locator('[data-table="whitelist"] [data-action="remove-whitelist"]').count(), 1);

    await signInAsNewUser(page, server.base, 'wl-auditor', 'long enough password 9', 'auditor');
    await page.click('[data-nav="whitelist"]');
    await page.waitForSelector('[data-table="whitelist"] [data-masked="110***********002X"]');
    assert.equal(await page.locator(form).count(), 0);
    assert.equal(await page.locator('[data-action="remove-whitelist"]').count(), 0);
    const refused = await page.evaluate(async (p) => {
      const me = await (await fetch('/v1/console/session')).json();
      const res = await fetch('/v1/console/whitelist', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ planId: p, idNumber: '110101199003074514', validDays: 1 }),
      });
      return res.status;
    }, planId);
    assert.equal(refused, 403);
    await shot(page, 'whitelist-02-auditor');
  });
});
