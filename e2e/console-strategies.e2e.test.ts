/**
 * End to end: attempt limits and device blacklisting on `shiren serve` (face engine off) in Debian's Chromium. The
 * admin creates an ID-number limit for one plan in the Attempt limits screen; the native API's second session of
 * that ID number is refused (429 rate_limited) until the rule is paused in the page. An H5 challenge sent with a
 * device id shows the device in the record detail; "Blacklist this device" there makes the next challenge from that
 * device answer 403 (blacklisted: device), and the Blacklist screen lists it by its prefix. Screenshots:
 * test-results/console/strategies-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shot, signIn, startConsole } from './console-helpers.js';
import { SKIP_REASON, type LaunchedBrowser } from './browser.js';
import { nativeCall, type Served } from './serve.js';

const DEVICE = '0b7c5a3e-2f1d-4c8b-9e6a-5d4c3b2a1f0e';

describe(
  'console attempt limits and device blacklist in Chromium on the real server',
  {
    skip: SKIP_REASON,
    timeout: 300_000,
  },
  () => {
    let server: Served;
    let b: LaunchedBrowser;
    let adminPassword: string;
    let stop: (() => Promise<void>) | undefined;

    before(async () => {
      ({ server, b, adminPassword, stop } = await startConsole({ locale: 'zh-CN', acceptDialogs: true }));
    });
    after(() => stop?.());

    const challenge = (token: string) =>
      fetch(`${server.base}/h5/api/sessions/${token}/challenge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-shiren-device': DEVICE },
        body: '{}',
      });

    test('an ID-number limit made in the page is enforced and paused; a device blacklisted from a record', async () => {
      const { page } = b;
      const preset = await nativeCall<{ plan: { id: number } }>(server, 'POST', '/v1/plans', {
        name: 'limits e2e',
        livenessMode: 'none',
        identityInput: 'preset',
      });
      assert.equal(preset.status, 200, JSON.stringify(preset.body));
      const planId = preset.body.plan.id;

      await signIn(page, server.base, 'admin', adminPassword);
      await page.click('[data-nav="strategies"]');
      const form = '[data-screen="strategies"] form[data-form="strategy"]';
      await page.waitForSelector(form);
      assert.match(await page.innerText('[data-screen="strategies"] h1'), /频次限制/);
      await page.selectOption(`${form} select[name="dimension"]`, 'id_number');
      await page.fill(`${form} input[name="maxCount"]`, '1');
      await page.fill(`${form} input[name="windowMinutes"]`, '60');
      await page.selectOption(`${form} select[name="planId"]`, String(planId));
      await page.click(`${form} button[data-action="save-strategy"]`);
      await page
        .waitForSelector('[data-table="strategies"] [data-dimension="id_number"]', { timeout: 10_000 })
        .catch(async (err: unknown) => {
          await shot(page, 'strategies-00-failed');
          throw new Error(`${String(err)}\npage: ${await page.innerText('main')}\nerrors: ${b.errors.join('\n')}`);
        });
      assert.match(await page.innerText('[data-table="strategies"]'), /60 分钟内最多 1 次认证会话[\s\S]*limits e2e/);
      await shot(page, 'strategies-01-created');

      const identity = { name: '张三', idNumber: '11010519491231002X' };
      const first = await nativeCall(server, 'POST', '/v1/sessions', { planId, identity });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const second = await nativeCall<{ error: { code: string; details: Record<string, unknown> } }>(
        server,
        'POST',
        '/v1/sessions',
        { planId, identity },
      );
      assert.equal(second.status, 429, JSON.stringify(second.body));
      assert.equal(second.body.error.code, 'rate_limited');
      assert.equal(second.body.error.details.dimension, 'id_number');

      await page.click('[data-table="strategies"] button[data-action="pause-strategy"]');
      await page.waitForSelector('[data-table="strategies"] button[data-action="resume-strategy"]');
      assert.match(await page.innerText('[data-table="strategies"]'), /已暂停/);
      const third = await nativeCall(server, 'POST', '/v1/sessions', { planId, identity });
      assert.equal(third.status, 200, 'a paused rule does not apply');
      await shot(page, 'strategies-02-paused');

      // A device seen by the H5 API, blacklisted from the record detail.
      const open = await nativeCall<{ plan: { id: number } }>(server, 'POST', '/v1/plans', {
        name: 'device e2e',
        livenessMode: 'none',
      });
      const s = await nativeCall<{ token: string }>(server, 'POST', '/v1/sessions', { planId: open.body.plan.id });
      assert.equal(s.status, 200);
      const before = await challenge(s.body.token);
      assert.equal(before.status, 200, await before.text());
      await page.goto(`${server.base}/console/#/records/${s.body.token}`);
      await page.waitForSelector('[data-device]');
      const prefix = (await page.getAttribute('[data-device]', 'data-device')) ?? '';
      assert.match(prefix, /^[A-Za-z0-9_-]{12}$/);
      await page.click('button[data-action="blacklist-device"]');
      await page.waitForSelector('[data-device-listed]');
      await shot(page, 'strategies-03-record-device');
      const after = await challenge(s.body.token);
      assert.equal(after.status, 403);
      assert.equal(
        ((await after.json()) as { error: { details: { blacklisted: string } } }).error.details.blacklisted,
        'device',
      );

      await page.click('[data-nav="blacklist"]');
      await page.waitForSelector('[data-table="blacklist"]');
      assert.equal(await page.getAttribute('[data-table="blacklist"] [data-masked]', 'data-masked'), `${prefix}…`);
      assert.match(await page.innerText('[data-table="blacklist"]'), /设备/);
      await shot(page, 'strategies-04-blacklist');
      assert.deepEqual(
        b.errors.filter((e) => !/status of 4\d\d/.test(e)),
        [],
        'no page errors',
      );
    });
  },
);
