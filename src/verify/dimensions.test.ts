import assert from 'node:assert/strict';
import { test } from 'node:test';
import { USER_AGENTS } from '../../test/user-agents.js';
import { deviceOs, failureStage, provinceCode, PROVINCES, userAgentColumns } from './dimensions.js';

test('device OS from real user agents (iPhone Safari, Android Chrome, HarmonyOS, Edge, Safari, Chromium, WeChat)', () => {
  for (const [os, ua] of USER_AGENTS) assert.equal(deviceOs(ua), os, ua);
});

test('user agent columns: a new agent sets both (cut to 512), none keeps the stored ones', () => {
  const row = { user_agent: 'old', device_os: 'Windows' };
  assert.deepEqual(userAgentColumns(undefined, row), row);
  const set = userAgentColumns(`${USER_AGENTS[0]![1]}${'x'.repeat(600)}`, row);
  assert.equal(set.device_os, 'iOS');
  assert.equal(set.user_agent?.length, 512);
});

test('province code: the first two digits of a mainland-shaped number only', () => {
  assert.equal(provinceCode('11010519491231002X'), '11');
  assert.equal(provinceCode('440524188001010014'), '44');
  assert.equal(provinceCode('510103801001001'), '51', 'old 15-digit number');
  assert.equal(provinceCode('810000199408230021'), '81', 'Hong Kong residence permit');
  assert.equal(provinceCode('990101199003074514'), '99', 'kept; the breakdown reads it as unknown');
  assert.equal(PROVINCES['99'], undefined);
  assert.equal(provinceCode('M1234567'), null, 'a passport has no province');
  assert.equal(provinceCode('H12345678'), null);
  assert.equal(PROVINCES['44']!.zh, '广东省');
  assert.equal(PROVINCES['65']!.en, 'Xinjiang');
  assert.equal(Object.keys(PROVINCES).length, 35);
});

test('failure stage from the effective status and the result code', () => {
  assert.equal(failureStage('passed', 'ok'), 'passed');
  assert.equal(failureStage('in_progress', null), 'open');
  assert.equal(failureStage('expired', 'session_expired'), 'expired');
  for (const c of [
    'liveness_action_missing',
    'liveness_action_order',
    'liveness_timeout',
    'liveness_flash_mismatch',
    'liveness_passive_failed',
    'face_changed',
    'liveness_failed',
  ])
    assert.equal(failureStage('failed', c), 'liveness', c);
  assert.equal(failureStage('failed', 'compare_failed'), 'comparison');
  for (const c of ['face_not_found', 'multiple_faces', 'quality_too_low'])
    assert.equal(failureStage('failed', c), 'capture', c);
  assert.equal(failureStage('failed', 'something_new'), 'other');
  assert.equal(failureStage('failed', null), 'other');
});
