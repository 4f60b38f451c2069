/**
 * The H5 page in Chromium against a MOCK of /h5/api (e2e/mock-h5-api.ts): every screen, the fallbacks, live
 * guidance from in-browser detection on a fake camera, and the requests the page sends. Server decisions are not
 * tested here (the mock answers canned outcomes); e2e/h5.e2e.test.ts runs the page against the real server.
 * Screenshots go to test-results/h5/page-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import path from 'node:path';
import { DARK_FACE, GROUP_PHOTO, STILL_FACE, writeStillY4m, writeSwayY4m } from '../test/fake-camera.js';
import { tempDir } from '../test/helpers.js';
import { launch, screenshot, SKIP_REASON, waitForScreen, type LaunchedBrowser } from './browser.js';
import { frameMotion, jpegSize, orientation, stepSequence, type UploadedFrame } from './frames.js';
import { startMockServer, type MockServer } from './mock-h5-api.js';
import { ensureH5Build } from './static.js';

interface AttemptBody {
  challengeId: string;
  frames: UploadedFrame[];
  client: Record<string, string>;
}

describe('H5 page on a mock API', { skip: SKIP_REASON, timeout: 300_000 }, () => {
  let mock: MockServer;
  const tmp = tempDir('shiren-h5-page-');
  const clips: Record<string, string> = {};

  before(async () => {
    await ensureH5Build();
    mock = await startMockServer();
    clips.still = await writeStillY4m(path.join(tmp.dir, 'still.y4m'), STILL_FACE);
    clips.group = await writeStillY4m(path.join(tmp.dir, 'group.y4m'), GROUP_PHOTO);
    clips.dark = await writeStillY4m(path.join(tmp.dir, 'dark.y4m'), DARK_FACE);
    clips.sway = await writeSwayY4m(path.join(tmp.dir, 'sway.y4m'), { ...STILL_FACE, crop: STILL_FACE.crop! });
  });
  after(async () => {
    await mock?.close();
    tmp.cleanup();
  });

  const attempts = (token: string) =>
    mock.requests.filter((r) => r.token === token && r.kind === 'attempts').map((r) => r.body as AttemptBody);

  test('session problems, consent, decline, identity form; camera denied; insecure context', async () => {
    // A fake camera exists but nobody answers the permission prompt: Chromium denies it.
    const b = await launch({
      camera: clips.still,
      allowCamera: false,
      args: [`--host-resolver-rules=MAP shiren-insecure.test 127.0.0.1`],
    });
    try {
      const { page } = b;
      await page.goto(`${mock.base}/h5/`);
      assert.equal((await waitForScreen(page, 'session-error')).code, 'no_token');
      await page.goto(`${mock.base}/h5/?token=mock-expired&lang=en`);
      assert.equal((await waitForScreen(page, 'session-error')).code, 'session_expired');
      assert.match(await page.innerText('[data-screen]'), /expired/);
      await screenshot(page, 'page-session-expired');
      await page.goto(`${mock.base}/h5/?token=nope`);
      assert.equal((await waitForScreen(page, 'session-error')).code, 'not_found');

      // zh-CN by default (the browser language here is zh-CN; no ?lang).
      await page.goto(`${mock.base}/h5/?token=mock-identity`);
      await waitForScreen(page, 'consent');
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      assert.match(await page.innerText('[data-action="agree"]'), /同意并继续/);
      await screenshot(page, 'page-consent-zh');

      await page.goto(`${mock.base}/h5/?token=mock-identity&lang=en`);
      await waitForScreen(page, 'consent');
      assert.match(await page.innerText('[data-screen]'), /What is collected[\s\S]*Why[\s\S]*How long it is kept/);
      await screenshot(page, 'page-consent');
      await page.click('[data-action="decline"]');
      await waitForScreen(page, 'declined');
      await screenshot(page, 'page-declined');
      await page.click('button');
      await page.click('[data-action="agree"]');
      await waitForScreen(page, 'identity');
      await page.fill('input[name="name"]', 'Zhang San');
      await page.fill('input[name="idNumber"]', '110105194912310021');
      await page.click('[data-action="submit"]');
      assert.match(await page.innerText('.error'), /not valid/, 'a wrong check digit is refused before sending');
      assert.equal(mock.requests.filter((r) => r.kind === 'identity').length, 0);
      await screenshot(page, 'page-identity-error');
      await page.fill('input[name="idNumber"]', '11010519491231002x');
      await page.click('[data-action="submit"]');
      const denied = await waitForScreen(page, 'camera-error');
      assert.equal(denied.reason, 'denied');
      assert.deepEqual(mock.requests.find((r) => r.kind === 'identity')?.body, {
        name: 'Zhang San',
        idNumber: '11010519491231002X',
      });
      await screenshot(page, 'page-camera-denied');

      // Plain http on a host that is not localhost: no camera API at all, and the page says why.
      await page.goto(`http://shiren-insecure.test:${mock.port}/h5/?token=mock-silent&lang=en`);
      await waitForScreen(page, 'consent');
      await page.click('[data-action="agree"]');
      assert.equal((await waitForScreen(page, 'camera-error')).reason, 'insecure');
      assert.match(await page.innerText('[data-screen]'), /not secure/);
      await screenshot(page, 'page-camera-insecure');
      // Every API call carried the device id: one UUID v4 per origin, kept across the page loads above (localStorage),
      // also on plain http where crypto.randomUUID does not exist.
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
      const byHost = new Map<string, Set<string | undefined>>();
      for (const r of mock.requests) {
        if (!byHost.has(r.host ?? '')) byHost.set(r.host ?? '', new Set());
        byHost.get(r.host ?? '')!.add(r.device);
      }
      const local = [...(byHost.get(`127.0.0.1:${mock.port}`) ?? [])];
      const insecure = [...(byHost.get(`shiren-insecure.test:${mock.port}`) ?? [])];
      assert.equal(local.length, 1, `one device id on ${mock.base}: ${local.join(', ')}`);
      assert.match(local[0] ?? '', uuid);
      assert.equal(insecure.length, 1);
      assert.match(insecure[0] ?? '', uuid);
      assert.notEqual(insecure[0], local[0], 'another origin, another id');
      assert.equal(
        await page.evaluate(() => localStorage.getItem('shiren.device')),
        insecure[0],
        'kept in localStorage',
      );
      assert.deepEqual(
        b.errors.filter((e) => !/status of 404|status of 410/.test(e)),
        [],
        'no page errors besides the expected API answers',
      );
    } finally {
      await b.close();
    }
  });

  test('guidance holds the challenge back: several faces, too dark', async () => {
    for (const [clip, expected] of [
      ['group', 'multiple_faces'],
      ['dark', 'too_dark'],
    ] as const) {
      const b = await launch({ camera: clips[clip], allowCamera: true });
      try {
        const token = 'mock-silent';
        const before = mock.requests.filter((r) => r.kind === 'challenge').length;
        await b.page.goto(`${mock.base}/h5/?token=${token}&lang=en`);
        await waitForScreen(b.page, 'consent');
        await b.page.click('[data-action="agree"]');
        await b.page.waitForSelector(`[data-screen="guidance"][data-guidance="${expected}"]`, { timeout: 30_000 });
        // Stays there: a few more readings, still no challenge requested.
        await b.page.waitForTimeout(1500);
        assert.equal((await waitForScreen(b.page, 'guidance')).guidance, expected);
        assert.equal(mock.requests.filter((r) => r.kind === 'challenge').length, before);
        await screenshot(b.page, `page-guidance-${expected.replace('_', '-')}`);
      } finally {
        await b.close();
      }
    }
  });

  describe('a face photo held in a hand on the fake camera', () => {
    let b: LaunchedBrowser;
    before(async () => {
      b = await launch({ camera: clips.sway, allowCamera: true, locale: 'en-US' });
    });
    after(async () => {
      await b?.close();
    });

    test('silent: guidance → challenge → passed; raw unmirrored JPEG frames of the live video, with t and step', async () => {
      const { page } = b;
      await page.goto(`${mock.base}/h5/?token=mock-silent`);
      await waitForScreen(page, 'consent');
      assert.equal(await page.getAttribute('html', 'lang'), 'en', 'English from the browser language');
      await page.click('[data-action="agree"]');
      const guidance = await waitForScreen(page, 'guidance');
      await waitForScreen(page, 'challenge');
      const result = await waitForScreen(page, 'result');
      assert.equal(result.outcome, 'passed');
      assert.doesNotMatch(await page.innerText('[data-screen]'), /\d\.\d|score/i, 'no score on screen');
      await screenshot(page, 'page-result-passed');
      assert.ok(
        ['wasm', 'cpu'].includes(
          guidance.backend ?? (await page.getAttribute('[data-screen]', 'data-backend')) ?? 'wasm',
        ),
      );

      const [body] = attempts('mock-silent');
      assert.ok(body, 'one attempt uploaded');
      assert.match(body.challengeId, /^mock-challenge-\d+$/);
      assert.ok(body.frames.length >= 4 && body.frames.length <= 40, `${body.frames.length} frames`);
      assert.ok(body.frames.length >= 10, 'about 8 fps over 2 s');
      assert.deepEqual(stepSequence(body.frames), ['neutral']);
      for (let i = 1; i < body.frames.length; i++) assert.ok(body.frames[i]!.t > body.frames[i - 1]!.t, 't increases');
      assert.ok(body.frames[body.frames.length - 1]!.t <= 2100);
      const size = await jpegSize(body.frames[0]!.image);
      assert.deepEqual(size, { format: 'jpeg', width: 640, height: 480 });
      const o = await orientation(Buffer.from(body.frames[3]!.image, 'base64'), STILL_FACE);
      assert.ok(
        o.direct < o.mirrored,
        `frames are raw, not mirrored (${o.direct.toFixed(1)} vs ${o.mirrored.toFixed(1)})`,
      );
      assert.ok(o.direct < 25, `the frame shows the camera picture (${o.direct.toFixed(1)})`);
      const motion = await frameMotion(body.frames);
      assert.ok(motion > 3, `the frames follow the moving picture, not one frozen frame (${motion.toFixed(1)})`);
      assert.match(body.client.userAgent ?? '', /Chrome/);
      assert.match(body.client.camera ?? '', /640x480/);
    });

    test('action: instructions in the issued order with progress; retry, then a final failure', async () => {
      const { page } = b;
      await page.goto(`${mock.base}/h5/?token=mock-action`);
      await page.click('[data-action="agree"]');
      await page.waitForSelector('[data-screen="challenge"][data-step="turn_left"]', { timeout: 30_000 });
      assert.match(await page.innerText('.instruction'), /Turn your head left/);
      assert.match(await page.innerText('.progress'), /Step 1 of 2/);
      await screenshot(page, 'page-challenge-action');
      await page.waitForSelector('[data-screen="challenge"][data-step="blink"]');
      assert.match(await page.innerText('.progress'), /Step 2 of 2/);
      const retry = await waitForScreen(page, 'result');
      assert.equal(retry.outcome, 'retry');
      assert.equal(retry.code, 'liveness_action_missing');
      assert.match(await page.innerText('[data-screen]'), /movement was not seen[\s\S]*2 attempts left/);
      await screenshot(page, 'page-result-retry');

      await page.click('[data-action="retry"]');
      await waitForScreen(page, 'challenge');
      const video = await page.$('video');
      const failed = await page.waitForSelector('[data-screen="result"][data-outcome="failed"]', { timeout: 30_000 });
      assert.equal(await failed.getAttribute('data-code'), 'liveness_action_missing');
      assert.equal(await page.locator('[data-action="retry"]').count(), 0, 'no retry after a final failure');
      assert.equal(
        await video!.evaluate((v) => (v as HTMLVideoElement).srcObject === null),
        true,
        'the camera is released',
      );
      await screenshot(page, 'page-result-failed');

      const bodies = attempts('mock-action');
      assert.equal(bodies.length, 2);
      assert.notEqual(bodies[0]!.challengeId, bodies[1]!.challengeId, 'a new challenge per attempt');
      for (const body of bodies) {
        assert.deepEqual(stepSequence(body.frames), ['neutral', 'turn_left', 'blink', 'neutral']);
        assert.ok(body.frames.length >= 20 && body.frames.length <= 40, `${body.frames.length} frames`);
        const firstLeft = body.frames.find((f) => f.step === 'turn_left')!;
        const firstBlink = body.frames.find((f) => f.step === 'blink')!;
        assert.ok(firstLeft.t >= 1000 && firstLeft.t < 1300, `turn_left starts after the 1 s lead-in (${firstLeft.t})`);
        assert.ok(firstBlink.t >= 2500 && firstBlink.t < 2800, `blink after 1.5 s of turn_left (${firstBlink.t})`);
        const blinks = body.frames.filter((f) => f.step === 'blink').length;
        const lefts = body.frames.filter((f) => f.step === 'turn_left').length;
        assert.ok(blinks > lefts, `denser frames for the short blink (${blinks} vs ${lefts})`);
      }
    });

    test('flash: the issued colours fill the screen in order, then the page follows redirectUrl', async () => {
      const { page } = b;
      await page.goto(`${mock.base}/h5/?token=mock-flash`);
      await page.click('[data-action="agree"]');
      // The step and the screen colour are read in one go: each colour shows for a fraction of a second, so reading
      // them one after the other on a loaded machine could see the next colour already.
      const seen = await page.waitForFunction(
        () => {
          const step = document.querySelector<HTMLElement>('[data-screen="challenge"]')?.dataset.step;
          return step === 'flash:#00FF00' ? getComputedStyle(document.body).backgroundColor : false;
        },
        undefined,
        { timeout: 30_000, polling: 'raf' },
      );
      assert.equal(await seen.jsonValue(), 'rgb(0, 255, 0)');
      await screenshot(page, 'page-challenge-flash');
      await waitForScreen(page, 'result');
      assert.match(await page.innerText('[data-screen]'), /Verified[\s\S]*Returning/);
      await screenshot(page, 'page-result-redirect');
      await page.waitForURL(/\/mock\/landing\?done=1$/, { timeout: 10_000 });

      const [body] = attempts('mock-flash');
      assert.deepEqual(stepSequence(body!.frames), [
        'neutral',
        'flash:#FF0000',
        'flash:#00FF00',
        'flash:#0000FF',
        'flash:#FFFFFF',
        'neutral',
      ]);
      for (const colour of ['#FF0000', '#00FF00', '#0000FF', '#FFFFFF']) {
        const n = body!.frames.filter((f) => f.step === `flash:${colour}`).length;
        assert.ok(n >= 2, `${n} frames under ${colour}`);
      }
      assert.deepEqual(b.errors, []);
    });
  });
});
