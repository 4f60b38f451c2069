/** Unit tests of the page's pure logic: guidance, capture timeline, identity checks, language, session view. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createApi, toSessionView } from './api.js';
import { DEVICE_ID_PATTERN, DEVICE_STORAGE_KEY, deviceId, newDeviceId } from './device.js';
import { createSteadiness, evaluateGuidance, meanLuma, type Box } from './guidance.js';
import { pickLang, reasonMessage } from './i18n.js';
import { normaliseIdNumber, validIdNumber, validName } from './identity.js';
import { CAPTURE_LIMITS, limitFrames, planTimeline, segmentAt, type ChallengeSpec } from './timeline.js';

const face = (x: number, y: number, size: number, score = 0.9): Box => ({
  x,
  y,
  width: size * 0.8,
  height: size,
  score,
});
const frame = { frameWidth: 320, frameHeight: 240, luma: 120 };

describe('guidance', () => {
  test('one centred face of a good size in good light is ok', () => {
    assert.equal(evaluateGuidance({ ...frame, faces: [face(120, 70, 100)] }), 'ok');
  });
  test('no face, and darkness without a face', () => {
    assert.equal(evaluateGuidance({ ...frame, faces: [] }), 'no_face');
    assert.equal(evaluateGuidance({ ...frame, faces: [], luma: 20 }), 'too_dark');
    assert.equal(
      evaluateGuidance({ ...frame, faces: [face(120, 70, 100, 0.3)] }),
      'no_face',
      'weak detections ignored',
    );
  });
  test('several faces, unless the others are tiny background faces', () => {
    assert.equal(evaluateGuidance({ ...frame, faces: [face(120, 70, 100), face(10, 10, 80)] }), 'multiple_faces');
    assert.equal(evaluateGuidance({ ...frame, faces: [face(120, 70, 100), face(10, 10, 20)] }), 'ok');
  });
  test('too far, too close, off-centre, too dark, too bright', () => {
    assert.equal(evaluateGuidance({ ...frame, faces: [face(140, 100, 40)] }), 'too_far');
    assert.equal(evaluateGuidance({ ...frame, faces: [face(60, 10, 220)] }), 'too_close');
    assert.equal(evaluateGuidance({ ...frame, faces: [face(10, 70, 100)] }), 'off_centre');
    assert.equal(evaluateGuidance({ ...frame, faces: [face(120, 0, 100)] }), 'off_centre');
    assert.equal(evaluateGuidance({ ...frame, faces: [face(120, 70, 100)], luma: 30 }), 'too_dark');
    assert.equal(evaluateGuidance({ ...frame, faces: [face(120, 70, 100)], luma: 250 }), 'too_bright');
  });
  test('portrait frames use the shorter side', () => {
    assert.equal(evaluateGuidance({ frameWidth: 240, frameHeight: 320, luma: 120, faces: [face(70, 110, 100)] }), 'ok');
  });
  test('mean luma of RGBA pixels', () => {
    const px = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255]);
    assert.equal(Math.round(meanLuma(px, 1)), 128);
  });
  test('steadiness needs consecutive ok readings', () => {
    const s = createSteadiness(3);
    assert.deepEqual(
      ['ok', 'ok', 'no_face', 'ok', 'ok', 'ok'].map((c) => s.push(c as 'ok')),
      [false, false, false, false, false, true],
    );
  });
});

const spec = (over: Partial<ChallengeSpec>): ChallengeSpec => ({
  challengeId: 'c',
  mode: 'silent',
  actions: [],
  colours: [],
  stepMs: 3000,
  colourMs: 600,
  maxDurationMs: 20000,
  expiresAt: '',
  ...over,
});

const frameCount = (tl: ReturnType<typeof planTimeline>) =>
  tl.segments.reduce((n, s) => n + Math.ceil((s.endMs - s.startMs) / s.intervalMs), 0);

describe('capture timeline', () => {
  test('silent: 2 s of neutral, within the frame limit', () => {
    const tl = planTimeline(spec({ stepMs: 0, colourMs: 0, maxDurationMs: 6000 }));
    assert.deepEqual(
      tl.segments.map((s) => s.step),
      ['neutral'],
    );
    assert.equal(tl.totalMs, 2000);
    assert.equal(tl.stepCount, 0);
    assert.ok(frameCount(tl) >= 15 && frameCount(tl) <= CAPTURE_LIMITS.plannedFrames, String(frameCount(tl)));
  });
  test('action: the server time line (1 s lead-in, each action for stepMs in order), a tail, ≤ 40 frames', () => {
    // The server's spec for 4 actions: maxDurationMs = 1000 + (4 + 1) × 3000.
    const tl = planTimeline(
      spec({ mode: 'action', actions: ['nod', 'blink', 'turn_right', 'mouth'], stepMs: 3000, maxDurationMs: 16000 }),
    );
    assert.deepEqual(
      tl.segments.map((s) => s.step),
      ['neutral', 'nod', 'blink', 'turn_right', 'mouth', 'neutral'],
    );
    assert.deepEqual(
      tl.segments.map((s) => s.index),
      [0, 1, 2, 3, 4, 0],
    );
    assert.deepEqual(
      tl.segments.map((s) => s.startMs),
      [0, 1000, 4000, 7000, 10000, 13000],
    );
    assert.equal(tl.totalMs, 14000);
    assert.ok(frameCount(tl) <= CAPTURE_LIMITS.maxFrames - 2, String(frameCount(tl)));
    const blink = tl.segments[2]!.intervalMs;
    const turn = tl.segments[3]!.intervalMs;
    assert.ok(blink < turn, 'blinks are short: denser frames');
    assert.equal(segmentAt(tl, 999)?.step, 'neutral');
    assert.equal(segmentAt(tl, 1000)?.step, 'nod');
    assert.equal(segmentAt(tl, 14000), undefined);
  });
  test('two actions at 3 s: blink frames at least 5 fps', () => {
    const tl = planTimeline(
      spec({ mode: 'action', actions: ['turn_left', 'blink'], stepMs: 3000, maxDurationMs: 10000 }),
    );
    assert.ok(tl.segments[2]!.intervalMs <= 200, String(tl.segments[2]!.intervalMs));
    assert.ok(frameCount(tl) <= CAPTURE_LIMITS.maxFrames - 2);
  });
  test('flash: 1 s lead-in, colours upper-cased into flash:#RRGGBB steps; bad colours refused', () => {
    const tl = planTimeline(
      spec({ mode: 'flash', colours: ['#ff0000', '#00ff00'], colourMs: 800, maxDurationMs: 3400 }),
    );
    assert.deepEqual(
      tl.segments.map((s) => s.step),
      ['neutral', 'flash:#FF0000', 'flash:#00FF00', 'neutral'],
    );
    assert.deepEqual(
      tl.segments.map((s) => s.startMs),
      [0, 1000, 1800, 2600],
    );
    assert.equal(tl.segments[1]!.colour, '#FF0000');
    assert.equal(tl.totalMs, 3000);
    assert.throws(() => planTimeline(spec({ mode: 'flash', colours: ['red'] })), /bad colour/);
  });
  test('a plan longer than maxDurationMs is cut, never shifted', () => {
    const tl = planTimeline(spec({ mode: 'action', actions: ['nod', 'blink'], stepMs: 3000, maxDurationMs: 5000 }));
    assert.deepEqual(
      tl.segments.map((s) => [s.step, s.startMs, s.endMs]),
      [
        ['neutral', 0, 1000],
        ['nod', 1000, 4000],
        ['blink', 4000, 4800],
      ],
    );
  });
  test('at least 4 frames even for a very short plan', () => {
    const tl = planTimeline(spec({ maxDurationMs: 600 }));
    assert.ok(frameCount(tl) >= CAPTURE_LIMITS.minFrames, String(frameCount(tl)));
  });
  test('limitFrames keeps the first and last frames and spreads the rest', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i);
    const kept = limitFrames(xs, 40);
    assert.equal(kept.length, 40);
    assert.equal(kept[0], 0);
    assert.equal(kept[39], 99);
    assert.deepEqual(limitFrames([1, 2, 3], 40), [1, 2, 3]);
  });
});

describe('identity checks', () => {
  test('ID numbers: check digit, date, x normalised', () => {
    assert.equal(validIdNumber('11010519491231002X'), true);
    assert.equal(validIdNumber('11010519491231002x'), true);
    assert.equal(normaliseIdNumber(' 1101 0519 4912 3100 2x '), '11010519491231002X');
    assert.equal(validIdNumber('110105194912310021'), false, 'wrong check digit');
    assert.equal(validIdNumber('110105194902300021'), false, 'no 30 February');
    assert.equal(validIdNumber('11010519491231002'), false, 'too short');
  });
  test('names', () => {
    for (const ok of ['张三', '欧阳娜娜', '阿卜杜·热合曼', 'Zhang San']) assert.equal(validName(ok), true, ok);
    for (const bad of ['', '张', '123', '<script>']) assert.equal(validName(bad), false, bad);
  });
});

describe('language and messages', () => {
  test('?lang wins, then the browser languages, then zh', () => {
    assert.equal(pickLang('en', ['zh-CN']), 'en');
    assert.equal(pickLang('zh-CN', ['en-US']), 'zh');
    assert.equal(pickLang(null, ['fr-FR', 'en-GB']), 'en');
    assert.equal(pickLang(null, ['fr-FR']), 'zh');
    assert.equal(pickLang(null, []), 'zh');
  });
  test('every reason code of docs/sessions.md has a message in both languages', () => {
    const codes = [
      'liveness_action_missing',
      'liveness_action_order',
      'liveness_timeout',
      'liveness_flash_mismatch',
      'liveness_passive_failed',
      'face_not_found',
      'multiple_faces',
      'face_changed',
      'quality_too_low',
      'compare_failed',
      'reference_missing',
      'challenge_invalid',
      'session_expired',
      'session_finished',
      'attempts_exhausted',
      'too_many_failures',
    ];
    for (const lang of ['zh', 'en'] as const) {
      for (const c of codes) assert.notEqual(reasonMessage(lang, c, 'SERVER'), 'SERVER', `${lang} ${c}`);
    }
    assert.equal(reasonMessage('en', 'something_new', 'server text'), 'server text');
  });
});

describe('session view', () => {
  test('reads the GET /h5/api/sessions/:token answer', () => {
    const v = toSessionView({
      status: 'created',
      livenessMode: 'action',
      actionCount: 2,
      identityInput: 'user',
      needsIdentity: true,
      identity: null,
      attemptsLeft: 2,
      expiresAt: '2030-01-01T00:00:00Z',
      redirectUrl: 'https://shop.example/back',
      locale: 'zh-CN',
    });
    assert.equal(v.livenessMode, 'action');
    assert.equal(v.identityRequired, true);
    assert.equal(v.attemptsLeft, 2);
    assert.equal(v.redirectUrl, 'https://shop.example/back');
    assert.equal(v.mediaRetentionHours, null);
    assert.equal(toSessionView({ status: 'created', needsIdentity: false }).identityRequired, false);
  });
});

describe('device id', () => {
  const memory = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
  };

  test('a UUID v4, created once and then read back from storage', () => {
    const store = memory();
    const first = deviceId(() => store);
    assert.match(first, DEVICE_ID_PATTERN);
    assert.equal(store.m.get(DEVICE_STORAGE_KEY), first);
    assert.equal(
      deviceId(() => store),
      first,
      'stable across page loads',
    );
    assert.notEqual(newDeviceId(), newDeviceId());
    assert.equal(
      newDeviceId((b) => b.fill(0xff)),
      'ffffffff-ffff-4fff-bfff-ffffffffffff',
    );
  });

  test('a malformed stored value is replaced; blocked storage gives an id for this page load', () => {
    const store = memory();
    store.setItem(DEVICE_STORAGE_KEY, 'junk');
    const id = deviceId(() => store);
    assert.match(id, DEVICE_ID_PATTERN);
    assert.equal(store.m.get(DEVICE_STORAGE_KEY), id);
    const blocked = () => {
      throw new Error('SecurityError');
    };
    assert.match(deviceId(blocked), DEVICE_ID_PATTERN);
    const full = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    assert.match(
      deviceId(() => full),
      DEVICE_ID_PATTERN,
    );
  });

  test('every API call carries it as x-shiren-device', async () => {
    const seen: (string | null)[] = [];
    const fake = (async (_url: string, init: RequestInit) => {
      seen.push(new Headers(init.headers).get('x-shiren-device'));
      return new Response('{"status":"created"}', { status: 200 });
    }) as unknown as typeof fetch;
    const device = newDeviceId();
    const api = createApi('/h5/', 'tok', fake, device);
    await api.session();
    await api.identity('张三', '11010519491231002X');
    await api.challenge();
    assert.deepEqual(seen, [device, device, device]);
  });
});
