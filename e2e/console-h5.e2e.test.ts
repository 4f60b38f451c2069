/**
 * End to end, the whole operator story in Debian's Chromium on `shiren serve` with the real face engine: the admin
 * signs in to the console, creates a plan in the page (silent liveness, compared with a photo the app uploads) and
 * edits its settings, opens a preview of it (a real H5 page,
 * left out of the statistics); the app's backend opens a session on the plan through the native API; a second
 * browser whose fake camera plays a face photo held in a hand completes it on the H5 page; back in the console the
 * admin finds the record, opens its detail (scores, thresholds, the audit frame), exports the search as CSV and
 * downloads it, finds an identity check the app asked in the check records, and sees the session in the statistics
 * chart. Screenshots: test-results/console/h5-*.png.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { STILL_FACE, writeSwayY4m } from '../test/fake-camera.js';
import { tempDir } from '../test/helpers.js';
import { launch, SKIP_REASON, waitForAnyScreen, waitForScreen, type LaunchedBrowser } from './browser.js';
import { ensureConsoleBuild, shot, signIn } from './console-helpers.js';
import { nativeCall, serve, type Served } from './serve.js';
import { ensureH5Build } from './static.js';

const ID_NUMBER = '11010519491231002X';
const PLAN = 'e2e 实人方案';

describe('console and H5 page together on the real server', { skip: SKIP_REASON, timeout: 900_000 }, () => {
  let server: Served;
  let consoleBrowser: LaunchedBrowser;
  let camera: LaunchedBrowser;
  let adminPassword: string;
  const tmp = tempDir('shiren-console-h5-e2e-');
  /** The reference the app uploads: a tighter crop of the same photo, as a JPEG (not a camera picture). */
  let reference: Buffer;

  before(async () => {
    await Promise.all([ensureConsoleBuild(), ensureH5Build()]);
    const clip = await writeSwayY4m(path.join(tmp.dir, 'sway.y4m'), { ...STILL_FACE, crop: STILL_FACE.crop! });
    reference = await sharp(STILL_FACE.file)
      .extract({ left: 520, top: 280, width: 340, height: 400 })
      .jpeg({ quality: 90 })
      .toBuffer();
    server = await serve();
    adminPassword = /username admin\s+password (\S+)/.exec(server.banner)?.[1] ?? '';
    assert.ok(adminPassword, 'the first-run admin password is in the banner');
    consoleBrowser = await launch({ locale: 'zh-CN' });
    await consoleBrowser.page.setViewportSize({ width: 1280, height: 900 });
    camera = await launch({ camera: clip, allowCamera: true, locale: 'zh-CN' });
  });
  after(async () => {
    await consoleBrowser?.close();
    await camera?.close();
    await server?.stop();
    tmp.cleanup();
  });

  test('sign in, create and edit a plan, preview it, verify a person on the H5 page, find, export and count it', async () => {
    const { page } = consoleBrowser;
    await signIn(page, server.base, 'admin', adminPassword);
    await shot(page, 'h5-01-records-empty');

    // The plan, created in the page with the settings of a silent-liveness KYC scene.
    await page.click('[data-nav="plans"]');
    const create = 'form[data-form="create-plan"]';
    await page.waitForSelector(create);
    await page.fill(`${create} input[name="name"]`, PLAN);
    await page.selectOption(`${create} select[name="livenessMode"]`, 'silent');
    await page.selectOption(`${create} select[name="compareSource"]`, 'uploaded');
    await page.selectOption(`${create} select[name="identityInput"]`, 'preset');
    await page.selectOption(`${create} select[name="far"]`, '1e-4');
    await page.fill(`${create} input[name="maxAttempts"]`, '3');
    await shot(page, 'h5-02-plan-form');
    await page.click(`${create} button[type="submit"]`);
    await page.waitForSelector(`h1[data-plan="${PLAN}"]`);
    const planId = Number(await page.getAttribute(`h1[data-plan="${PLAN}"]`, 'data-plan-id'));
    assert.ok(planId > 0);

    // A refused setting names its field; a valid change is saved and shown after a reload.
    const edit = 'form[data-form="edit-plan"]';
    await page.fill(`${edit} input[name="mediaRetentionHours"]`, '500');
    await page.click(`${edit} button[type="submit"]`);
    await page.waitForSelector(`${edit} [data-notice="error"]`);
    assert.match(await page.innerText(`${edit} [data-notice="error"]`), /mediaRetentionHours/);
    assert.equal(await page.getAttribute(`${edit} input[name="mediaRetentionHours"]`, 'aria-invalid'), 'true');
    await shot(page, 'h5-03-plan-invalid');
    await page.fill(`${edit} input[name="mediaRetentionHours"]`, '48');
    await page.fill(`${edit} input[name="resultRetentionHours"]`, '96');
    await page.click(`${edit} button[type="submit"]`);
    await page.waitForSelector(`${edit} [data-notice="ok"]`);
    await page.reload();
    await page.waitForSelector(edit);
    assert.equal(await page.inputValue(`${edit} input[name="mediaRetentionHours"]`), '48');
    assert.equal(await page.inputValue(`${edit} input[name="resultRetentionHours"]`), '96');

    // The preview: a real session of the plan whose H5 page opens in the camera browser.
    await page.fill('form[data-form="preview-plan"] input[name="name"]', '预览员');
    await page.fill('form[data-form="preview-plan"] input[name="idNumber"]', '440304198510123458');
    await page.setInputFiles('form[data-form="preview-plan"] input[name="reference"]', {
      name: 'reference.jpg',
      mimeType: 'image/jpeg',
      buffer: reference,
    });
    await page.click('form[data-form="preview-plan"] button[type="submit"]');
    await page.waitForSelector('[data-preview-link]');
    const previewUrl = (await page.getAttribute('[data-preview-link]', 'href'))!;
    assert.match(previewUrl, new RegExp(`^${server.base}/h5/\\?token=`));
    await shot(page, 'h5-04-plan-saved-preview');
    await camera.page.goto(previewUrl);
    await waitForScreen(camera.page, 'consent');
    await shot(camera.page, 'h5-05-preview-consent');

    // The app's backend opens a session on the plan with the reference photo; the person completes it on camera.
    const s = await nativeCall<{ token: string; url: string }>(server, 'POST', '/v1/sessions', {
      planId,
      outerOrderNo: 'e2e-console-h5-001',
      identity: { name: '王小明', idNumber: ID_NUMBER },
      referenceImage: reference.toString('base64'),
    });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    const token = s.body.token;
    await camera.page.goto(s.body.url);
    await waitForScreen(camera.page, 'consent');
    await camera.page.click('[data-action="agree"]');
    const shown = await waitForAnyScreen(camera.page, ['challenge', 'result'], 60_000);
    assert.equal(shown.screen, 'challenge', `no challenge: ${await camera.page.innerText('[data-screen]')}`);
    await shot(camera.page, 'h5-06-h5-challenge');
    const result = await waitForScreen(camera.page, 'result', 180_000);
    await shot(camera.page, 'h5-07-h5-result');
    assert.equal(result.outcome, 'passed', `${result.code}\n${server.logs()}`);

    // The record: found by OuterOrderNo, passed; the preview is listed too, marked.
    await page.click('[data-nav="records"]');
    await page.waitForSelector('form[data-form="records"]');
    assert.equal(await page.locator('[data-record]').count(), 2, 'the session and the preview');
    assert.equal(await page.locator('[data-preview]').count(), 1, 'the preview is marked');
    await page.fill('input[name="outerOrderNo"]', 'e2e-console-h5-001');
    await page.click('form[data-form="records"] button[type="submit"]');
    await page.waitForSelector(`[data-record="${token}"]`);
    assert.equal(await page.locator('[data-record]').count(), 1);
    const row = await page.innerText(`tr:has([data-record="${token}"])`);
    assert.match(row, /通过/);
    assert.match(row, /110\*{11}002X/);
    await shot(page, 'h5-08-records-found');

    // Its detail: the decision with scores and thresholds, the attempt, the audit frame the engine chose.
    await page.click(`[data-record="${token}"]`);
    await page.waitForSelector('[data-screen="record"] [data-status="passed"]');
    assert.equal(await page.getAttribute('[data-result-code]', 'data-result-code'), 'ok');
    assert.equal(await page.locator('[data-table="attempts"] tbody tr').count(), 1);
    const detail = await page.innerText('[data-screen="record"]');
    assert.match(detail, new RegExp(PLAN));
    assert.match(detail, /silent · uploaded/);
    const score = Number(await page.innerText('[data-result-score]'));
    assert.ok(score >= 70, `comparison score ${score} at the FAR 1e-4 threshold 70`);
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.images img');
      return !!img && img.complete && img.naturalWidth > 0;
    });
    const width = await page.$eval('.images img', (img) => (img as HTMLImageElement).naturalWidth);
    assert.ok(width >= 100, `the audit frame is shown (${width} px wide)`);
    assert.doesNotMatch(await page.content(), new RegExp(ID_NUMBER), 'never the full ID number');
    await shot(page, 'h5-09-record-detail');

    // The CSV export of the search, downloaded.
    await page.click('[data-nav="records"]');
    await page.waitForSelector('form[data-form="records"]');
    await page.fill('input[name="outerOrderNo"]', 'e2e-console-h5-001');
    await page.click('form[data-form="records"] button[type="submit"]');
    await page.waitForSelector(`[data-record="${token}"]`);
    await page.click('[data-action="export"]');
    await page.waitForSelector('[data-export-link]', { timeout: 60_000 });
    await shot(page, 'h5-10-export-ready');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-export-link]')]);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.split('\r\n');
    assert.equal(lines.length, 3, 'header, the record, the final line break');
    assert.match(
      lines[1]!,
      new RegExp(`,${planId},${token},e2e-console-h5-001,passed,ok,\\d+(\\.\\d+)?,70,[\\d.]*,王\\*\\*,110\\*{11}002X$`),
    );
    assert.ok(!csv.includes(ID_NUMBER));

    // An identity check the app asks (nobody is in the registry: no record) is in the check records, masked.
    const id2 = await nativeCall<{ result: string }>(server, 'POST', '/v1/identity/checks', {
      check: 'id2',
      fields: { name: '王小明', idNumber: ID_NUMBER },
    });
    assert.equal(id2.status, 200, JSON.stringify(id2.body));
    assert.equal(id2.body.result, 'no_record');
    await page.click('[data-nav="checks"]');
    await page.waitForSelector('[data-table="checks"] [data-check-result="no_record"]');
    const checkRow = await page.innerText('[data-table="checks"] tbody tr');
    assert.match(checkRow, /id2/);
    assert.match(checkRow, /110\*{11}002X/);
    assert.doesNotMatch(await page.content(), new RegExp(ID_NUMBER));
    await shot(page, 'h5-11-check-records');

    // The statistics: one passed session today; the preview is not counted.
    await page.click('[data-nav="stats"]');
    await page.waitForSelector('[data-chart="outcomes"] rect[data-series="passed"]');
    assert.equal(await page.getAttribute('[data-total]', 'data-total'), '1');
    assert.equal(await page.locator('[data-chart="outcomes"] rect[data-series="open"]').count(), 0);
    await shot(page, 'h5-12-statistics');
    assert.deepEqual(
      consoleBrowser.errors.filter((e) => !/status of 40[01] /.test(e)),
      [],
      'no page errors (the 401 of the page asking for a session before the sign-in, the 400 of the refused setting)',
    );
  });
});
