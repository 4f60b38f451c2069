/**
 * Per-app rate limits (docs/console.md, "Apps and access keys"): one token bucket per app, in this process's memory.
 * A bucket holds at most `burst` tokens and gains `perMinute` tokens per minute; every admitted request takes one.
 * So an app may send `burst` requests at once and `perMinute` per minute on average; over any 60 s at most
 * `burst + perMinute` are admitted. No database round trip: the limit itself arrives with the access-key look-up
 * each request already makes, so a change applies from the next request.
 *
 * Several server processes each keep their own buckets: every process admits up to the limit (see docs/console.md).
 *
 * Arithmetic is exact: tokens are counted in token-milliseconds (one token = 60,000 units, refill = elapsed ms ×
 * perMinute), so an injected clock gives reproducible answers.
 */

export interface RateLimit {
  /** Tokens gained per minute (1–1,000,000). */
  perMinute: number;
  /** Bucket size (1–1,000,000). */
  burst: number;
}

const UNIT = 60_000;

interface Bucket extends RateLimit {
  /** Token-milliseconds available, 0 … burst × UNIT. */
  level: number;
  at: number;
}

export function createRateLimiter(opts: { now?: () => number } = {}) {
  const now = opts.now ?? Date.now;
  const buckets = new Map<string, Bucket>();

  return {
    /**
     * Takes one token from `key`'s bucket. Returns 0 when the request is admitted, otherwise the whole seconds
     * (≥ 1) until a token is available. `limit` null = unlimited (the bucket is forgotten).
     */
    take(key: string, limit: RateLimit | null): number {
      if (!limit) {
        buckets.delete(key);
        return 0;
      }
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        b = { ...limit, level: limit.burst * UNIT, at: t };
        buckets.set(key, b);
      } else {
        if (t > b.at) {
          b.level = Math.min(b.burst * UNIT, b.level + (t - b.at) * b.perMinute);
          b.at = t;
        }
        if (b.perMinute !== limit.perMinute || b.burst !== limit.burst) {
          // A changed limit keeps what was used: raising the burst adds tokens at once, lowering it clamps.
          const used = b.burst * UNIT - b.level;
          b.perMinute = limit.perMinute;
          b.burst = limit.burst;
          b.level = Math.min(b.burst * UNIT, Math.max(0, b.burst * UNIT - used));
        }
      }
      if (b.level >= UNIT) {
        b.level -= UNIT;
        return 0;
      }
      const waitMs = Math.ceil((UNIT - b.level) / b.perMinute);
      return Math.max(1, Math.ceil(waitMs / 1000));
    },

    /** Buckets held (for tests and metrics). */
    size: () => buckets.size,
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
