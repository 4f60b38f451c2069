/** The per-app token bucket on an injected clock: burst, refill, Retry-After, limit changes, unlimited, per key. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRateLimiter } from './rate-limiter.js';

function limiterAt(start = 1_000_000) {
  let t = start;
  const limiter = createRateLimiter({ now: () => t });
  return { limiter, advance: (ms: number) => (t += ms) };
}

test('a full bucket admits the burst, then one request per 60/perMinute seconds', () => {
  const { limiter, advance } = limiterAt();
  const limit = { perMinute: 3, burst: 3 };
  assert.deepEqual(
    [1, 2, 3, 4].map(() => limiter.take('a', limit)),
    [0, 0, 0, 20],
  );
  advance(19_000);
  assert.equal(limiter.take('a', limit), 1, 'one second short of a token');
  advance(1_000);
  assert.equal(limiter.take('a', limit), 0);
  assert.equal(limiter.take('a', limit), 20);
  advance(60_000);
  assert.deepEqual(
    [1, 2, 3, 4].map(() => limiter.take('a', limit)),
    [0, 0, 0, 20],
    'refills to the burst, never beyond',
  );
});

test('a small burst smooths a high rate; Retry-After rounds up to whole seconds (at least 1)', () => {
  const { limiter, advance } = limiterAt();
  const limit = { perMinute: 600, burst: 2 };
  assert.deepEqual(
    [1, 2, 3].map(() => limiter.take('a', limit)),
    [0, 0, 1],
  );
  advance(100); // 600/min = one token per 100 ms
  assert.equal(limiter.take('a', limit), 0);
  assert.equal(limiter.take('a', limit), 1);
  const slow = { perMinute: 1, burst: 1 };
  assert.equal(limiter.take('b', slow), 0);
  assert.equal(limiter.take('b', slow), 60);
  advance(59_001);
  assert.equal(limiter.take('b', slow), 1);
});

test('buckets are per key; null forgets the bucket and admits everything', () => {
  const { limiter } = limiterAt();
  const limit = { perMinute: 1, burst: 1 };
  assert.equal(limiter.take('a', limit), 0);
  assert.ok(limiter.take('a', limit) > 0);
  assert.equal(limiter.take('b', limit), 0, 'another app has its own bucket');
  for (let i = 0; i < 100; i++) assert.equal(limiter.take('a', null), 0);
  assert.equal(limiter.size(), 1);
  assert.equal(limiter.take('a', limit), 0, 'limited again: a fresh bucket');
});

test('a changed limit keeps what was used: raising adds tokens at once, lowering clamps', () => {
  const { limiter, advance } = limiterAt();
  for (let i = 0; i < 3; i++) assert.equal(limiter.take('a', { perMinute: 3, burst: 3 }), 0);
  assert.ok(limiter.take('a', { perMinute: 3, burst: 3 }) > 0);
  const raised = { perMinute: 5, burst: 5 };
  assert.deepEqual(
    [1, 2, 3].map(() => limiter.take('a', raised)),
    [0, 0, 12],
    '5 − 3 used = 2 more',
  );
  advance(60_000);
  const lowered = { perMinute: 2, burst: 2 };
  assert.deepEqual(
    [1, 2, 3].map(() => limiter.take('a', lowered)),
    [0, 0, 30],
    'a full bucket of 5 clamped to 2',
  );
  // The new rate refills from the change on.
  advance(30_000);
  assert.equal(limiter.take('a', lowered), 0);
});

test('a clock going backwards neither refills nor breaks the bucket', () => {
  const { limiter, advance } = limiterAt();
  const limit = { perMinute: 1, burst: 1 };
  assert.equal(limiter.take('a', limit), 0);
  advance(-30_000);
  assert.equal(limiter.take('a', limit), 60);
  advance(90_000);
  assert.equal(limiter.take('a', limit), 0);
});
