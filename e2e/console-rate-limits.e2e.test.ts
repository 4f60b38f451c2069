/**
 * End to end: an app's rate limit set on the Apps & keys screen of `shiren serve` (face engine off) in Debian's
 * Chromium. The admin limits the `default` app to 2 requests per minute in the page; the first-run access key is then
 * refused with 429 rate_limited on its third request at once; the admin clears the limit in the page and the key works
 * again at once. An auditor sees the limit but no form. Screenshots: test-results/console/rate-limit-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shot, signIn, signInAsNewUser, startConsole } from './console-helpers.js';
import { SKIP_REASON, type LaunchedBrowser } from './browser.js';
import { nativeCall, type Served } from './serve.js';

describe('console rate limits in Chromium on the real server', { skip: SKIP_REASON, timeout: 300_000 }, () => {
  let server: Served;
  let b: LaunchedBrowser;
  let adminPassword: string;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    ({ server, b, adminPassword, stop } = await startConsole({ locale: 'en-US', acceptDialogs: false }));
  });
  after(() => stop?.());

  test('a limit set in the page throttles the app at once; cleared in the page, the app is unlimited again', async () => {
    const { page } = b;
    await signIn(page, server.base, 'admin', adminPassword);
    await page.click('[data-nav="apps"]');
    const form = 'form[data-form="rate-limit"][data-app="default"]';
    await page.waitForSelector(form);
    const limitText = () => page.innerText('[data-rate-limit="default"]');
    const before = await limitText();
    await page.fill(`${form} input[name="rateLimitPerMinute"]`, '2');
    await page.click(`${form} button[data-action="save-rate-limit"]`);
    await page.waitForFunction(
      (text) => document.querySelector('[data-rate-limit="default"]')?.textContent !== text,
      before,
      { timeout: 10_000 },
    );
    assert.match(await limitText(), /^(2\/min \(burst 2\)|2 次\/分钟(突发 2))$/);
    await shot(page, 'rate-limit-01-set');
    const statuses: number[] = [];
    let refused: { status: number; body: { error: { code: string; details: Record<string, unknown> } } } | undefined;
    for (let i = 0; i < 3; i++) {
      const r = await nativeCall<{ error: { code: string; details: Record<string, unknown> } }>(
        server,
        'GET',
        '/v1/whoami',
      );
      statuses.push(r.status);
      if (r.status === 429) refused = r;
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal(refused!.body.error.code, 'rate_limited');
    assert.equal(refused!.body.error.details.rateLimitPerMinute, 2);

    await page.fill(`${form} input[name="rateLimitPerMinute"]`, '');
    await page.fill(`${form} input[name="rateLimitBurst"]`, '');
    const limited = await limitText();
    await page.click(`${form} button[data-action="save-rate-limit"]`);
    await page.waitForFunction(
      (text) => document.querySelector('[data-rate-limit="default"]')?.textContent !== text,
      limited,
      { timeout: 10_000 },
    );
    assert.match(await limitText(), /unlimited|不限/);
    for (let i = 0; i < 5; i++) assert.equal((await nativeCall(server, 'GET', '/v1/whoami')).status, 200);
    await shot(page, 'rate-limit-02-cleared');

    // An auditor reads the limit but gets no form.
    await signInAsNewUser(page, server.base, 'ruth', 'auditor password 1', 'auditor');
    await page.click('[data-nav="apps"]');
    await page.waitForSelector('[data-rate-limit="default"]');
    assert.equal(await page.locator('form[data-form="rate-limit"]').count(), 0);
    await shot(page, 'rate-limit-03-auditor');
  });
});
