import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShirenError } from '../../errors.js';
import { ACTIONS, FLASH_COLOURS, LEAD_MS, UPLOAD_ALLOWANCE_MS, createChallenge, type Action } from './challenge.js';

const NOW = new Date('2026-01-01T00:00:00Z');

test('the nonce is 32 random bytes in base64url and differs every time', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const { id } = createChallenge({ mode: 'silent', actionCount: 1, actionPool: ['blink'] });
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(id, 'base64url').length, 32);
    ids.add(id);
  }
  assert.equal(ids.size, 50);
});

test('actions come from the pool, in a random order, without immediate repeats', () => {
  const pool: Action[] = ['blink', 'mouth', 'turn_left', 'turn_right'];
  const firsts = new Set<Action>();
  for (let i = 0; i < 200; i++) {
    const spec = createChallenge({ mode: 'action', actionCount: 3, actionPool: pool }, undefined, NOW);
    assert.equal(spec.actions.length, 3);
    assert.equal(new Set(spec.actions).size, 3, 'distinct while the pool allows it');
    for (const a of spec.actions) assert.ok(pool.includes(a));
    firsts.add(spec.actions[0]!);
    assert.equal(spec.maxDurationMs, LEAD_MS + 4 * spec.stepMs);
    assert.equal(spec.colours.length, 0);
  }
  assert.equal(firsts.size, 4, 'every action can come first');
  // A pool smaller than the count: repeats, but never twice in a row.
  for (let i = 0; i < 100; i++) {
    const { actions } = createChallenge({ mode: 'action', actionCount: 4, actionPool: ['nod', 'blink'] });
    assert.equal(actions.length, 4);
    for (let k = 1; k < actions.length; k++) assert.notEqual(actions[k], actions[k - 1]);
  }
});

test('flash challenges draw 4–6 distinct colours in a random order', () => {
  const counts = new Set<number>();
  const firsts = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const spec = createChallenge({ mode: 'flash', actionCount: 1, actionPool: ['blink'] }, undefined, NOW);
    assert.ok(spec.colours.length >= 4 && spec.colours.length <= 6);
    assert.equal(new Set(spec.colours).size, spec.colours.length);
    for (const c of spec.colours) {
      assert.match(c, /^#[0-9A-F]{6}$/);
      assert.ok((FLASH_COLOURS as readonly string[]).includes(c));
    }
    assert.equal(spec.actions.length, 0);
    assert.equal(spec.maxDurationMs, LEAD_MS + (spec.colours.length + 1) * spec.colourMs);
    counts.add(spec.colours.length);
    firsts.add(spec.colours[0]!);
  }
  assert.deepEqual([...counts].sort(), [4, 5, 6]);
  assert.equal(firsts.size, FLASH_COLOURS.length);
});

test('times: issuedAt is the given time; expiry leaves the upload allowance', () => {
  const spec = createChallenge({ mode: 'action', actionCount: 2, actionPool: [...ACTIONS] }, undefined, NOW);
  assert.equal(spec.issuedAt, NOW.toISOString());
  assert.equal(Date.parse(spec.expiresAt) - NOW.getTime(), spec.maxDurationMs + UPLOAD_ALLOWANCE_MS);
});

test('invalid plans are request errors', () => {
  const bad = (plan: Parameters<typeof createChallenge>[0]) =>
    assert.throws(
      () => createChallenge(plan),
      (e: unknown) => e instanceof ShirenError && e.reason === 'invalid_request',
    );
  bad({ mode: 'action', actionCount: 0, actionPool: ['blink'] });
  bad({ mode: 'action', actionCount: 5, actionPool: [...ACTIONS] });
  bad({ mode: 'action', actionCount: 1, actionPool: [] });
  bad({ mode: 'action', actionCount: 2, actionPool: ['blink'] });
  bad({ mode: 'action', actionCount: 1, actionPool: ['smile' as Action] });
  bad({ mode: 'video' as 'none', actionCount: 1, actionPool: ['blink'] });
});
