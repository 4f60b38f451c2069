/**
 * End to end: the Settings screen on `shiren serve` (face engine off, SHIREN_IMAGE_FETCH_HOSTS set) in Debian's
 * Chromium. The admin sees each value's source (environment / default), changes the comparison FAR level, the
 * download timeout and the allow-list in the page, saves, and the server's own plan service gives a plan created
 * through the native API the new threshold; a value is put back to its start-up value; the storage usage shows.
 * An auditor sees the values without a form, and the server refuses a change with the auditor's own session and
 * CSRF token. Screenshots: test-results/console/settings-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shot, signIn, signInAsNewUser, startConsole } from './console-helpers.js';
import { SKIP_REASON, type LaunchedBrowser } from './browser.js';
import { nativeCall, type Served } from './serve.js';

describe('console settings in Chromium on the real server', { skip: SKIP_REASON, timeout: 300_000 }, () => {
  let server: Served;
  let b: LaunchedBrowser;
  let adminPassword: string;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    ({ server, b, adminPassword, stop } = await startConsole({
      env: { SHIREN_IMAGE_FETCH_HOSTS: 'pics.example.com' },
      locale: 'zh-CN',
      viewport: { width: 1280, height: 1100 },
      acceptDialogs: true,
    }));
  });
  after(() => stop?.());

  test('the admin changes settings in the page and the server uses them; an auditor only reads', async () => {
    const { page } = b;
    await signIn(page, server.base, 'admin', adminPassword);
    await page.click('[data-nav="settings"]');
    const form = 'form[data-form="settings"]';
    await page.waitForSelector(`${form} [data-table="settings"]`);
    assert.match(await page.innerText('[data-screen="settings"] h1'), /系统设置/);
    assert.match(
      await page.innerText('[data-source="imageFetch.allowHosts"]'),
      /环境变量 \(SHIREN_IMAGE_FETCH_HOSTS\)/,
    );
    assert.match(await page.innerText('[data-source="plans.defaultFar"]'), /默认值/);
    assert.equal(await page.inputValue(`${form} textarea[name="imageFetch.allowHosts"]`), 'pics.example.com');
    await page.waitForSelector('[data-table="storage"] [data-bytes="database"]');
    await shot(page, 'settings-01-start');

    await page.selectOption(`${form} select[name="plans.defaultFar"]`, '1e-5');
    await page.fill(`${form} input[name="imageFetch.timeoutMs"]`, '8000');
    await page.fill(`${form} textarea[name="imageFetch.allowHosts"]`, 'pics.example.com\n*.cdn.example.com');
    await page.click(`${form} button[data-action="save-settings"]`);
    await page.waitForSelector('[data-notice="ok"]', { timeout: 10_000 }).catch(async (err: unknown) => {
      await shot(page, 'settings-00-failed');
      throw new Error(`${String(err)}\npage: ${await page.innerText('main')}\nerrors: ${b.errors.join('\n')}`);
    });
    assert.match(await page.innerText('[data-source="plans.defaultFar"]'), /控制台/);
    assert.match(await page.innerText('[data-source="imageFetch.timeoutMs"]'), /控制台/);
    await shot(page, 'settings-02-saved');

    // The server's plan service (the access-key API) gives a new plan the saved default threshold.
    const plan = await nativeCall<{ plan: { threshold: { score: number; far: string } } }>(
      server,
      'POST',
      '/v1/plans',
      {
        name: 'settings e2e',
        livenessMode: 'none',
      },
    );
    assert.equal(plan.status, 200, JSON.stringify(plan.body));
    assert.deepEqual(plan.body.plan.threshold, { score: 80, far: '1e-5' });

    // An out-of-range number is stopped by the input's own min/max; a bad host name by the server, with its message.
    await page.fill(`${form} textarea[name="imageFetch.allowHosts"]`, 'http://pics.example.com/');
    await page.click(`${form} button[data-action="save-settings"]`);
    await page.waitForSelector('[data-notice="error"]');
    assert.match(await page.innerText('[data-notice="error"]'), /invalid_request: imageFetch\.allowHosts/);

    // Back to the start-up value.
    await page.reload();
    await page.waitForSelector(`${form} button[data-action="reset-setting"][data-key="imageFetch.timeoutMs"]`);
    await page.click(`${form} button[data-action="reset-setting"][data-key="imageFetch.timeoutMs"]`);
    await page.waitForFunction(() =>
      document.querySelector('[data-source="imageFetch.timeoutMs"]')?.textContent?.includes('默认值'),
    );
    assert.equal(await page.inputValue(`${form} input[name="imageFetch.timeoutMs"]`), '5000');
    const saved = await page.evaluate(async () => (await (await fetch('/v1/console/settings')).json()).settings);
    const byKey = new Map((saved as { key: string; value: unknown; source: string }[]).map((s) => [s.key, s]));
    assert.deepEqual(byKey.get('imageFetch.allowHosts')!.value, ['pics.example.com', '*.cdn.example.com']);
    assert.equal(byKey.get('imageFetch.timeoutMs')!.source, 'default');

    // An auditor: values, no form; the server refuses a change with the auditor's own session.
    await signInAsNewUser(page, server.base, 'settings-auditor', 'long enough password 8', 'auditor');
    await page.click('[data-nav="settings"]');
    await page.waitForSelector('[data-table="settings"]');
    assert.equal(await page.locator(form).count(), 0);
    assert.match(await page.innerText('[data-value="plans.defaultFar"]'), /1e-5/);
    await page.waitForSelector('[data-table="storage"]');
    const refused = await page.evaluate(async () => {
      const me = await (await fetch('/v1/console/session')).json();
      const res = await fetch('/v1/console/settings', {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ values: { 'imageFetch.allowPrivate': true } }),
      });
      return res.status;
    });
    assert.equal(refused, 403);
    await shot(page, 'settings-03-auditor');
  });
});
