/**
 * Retention: expires unfinished sessions past their token lifetime (queueing their callback), deletes images after
 * the plan's media retention and whole sessions (rows and blobs) after its result retention. Real deletes; rows are
 * claimed with `for update skip locked`, so several processes can run this side by side.
 *
 * The console's retention limits (src/verify/settings.ts: retention.maxMediaHours, retention.maxResultHours) bound
 * every plan: read on every pass, they make images (or whole sessions) due once that many hours have passed since
 * the session finished (an unfinished one: since it expired), however long the plan would keep them.
 */
import type { BlobStore } from '../store/blob-store.js';
import type { Transactor } from '../store/repos/index.js';
import { queueCallback, type SessionResult } from './callbacks.js';

export interface RetentionDeps {
  transaction: Transactor;
  blobs: BlobStore;
  now?: () => Date;
  /** Rows per batch (default 100). */
  batch?: number;
  /** Upper bounds of every plan's retention, hours (null = none), read at the start of every pass. */
  limits?: () => Promise<{ maxResultHours: number | null; maxMediaHours: number | null }>;
}

const HOUR = 3600_000;

export function createRetention(deps: RetentionDeps) {
  const now = deps.now ?? (() => new Date());
  const batch = deps.batch ?? 100;

  async function expire(t: Date): Promise<number> {
    return deps.transaction(async (tx) => {
      const rows = await tx.sessions.claimExpired(t, batch);
      for (const s of rows) {
        const plan = await tx.plans.findById(s.plan_id);
        const finishedAt = new Date(s.expires_at);
        const result: SessionResult = {
          passed: false,
          code: 'session_expired',
          message: 'The session expired before a result.',
          score: null,
          threshold: null,
          livenessScore: null,
        };
        await tx.sessions.update(s.id, {
          status: 'expired',
          finished_at: finishedAt,
          result: JSON.stringify({ ...result, livenessThreshold: null }),
        });
        if (plan) await queueCallback(tx.callbacks, plan, s, 'expired', result, finishedAt);
      }
      return rows.length;
    });
  }

  async function purgeMedia(t: Date, finishedBefore: Date | undefined): Promise<number> {
    return deps.transaction(async (tx) => {
      const rows = await tx.sessions.claimMediaDue(t, batch, finishedBefore);
      for (const s of rows) {
        for (const key of [s.best_frame_key, s.env_frame_key, s.reference_blob_key])
          if (key) await deps.blobs.delete(key);
        await tx.sessions.update(s.id, { best_frame_key: null, env_frame_key: null, reference_blob_key: null });
      }
      return rows.length;
    });
  }

  async function purgeResults(t: Date, finishedBefore: Date | undefined): Promise<number> {
    return deps.transaction(async (tx) => {
      const rows = await tx.sessions.claimPurgeDue(t, batch, finishedBefore);
      for (const s of rows) {
        await deps.blobs.deletePrefix(`sessions/${s.id}/`);
        await tx.sessions.delete(s.id);
      }
      return rows.length;
    });
  }

  return {
    /** One pass: expire, purge media, purge results (each in batches until nothing is due). */
    async runOnce(): Promise<{ expired: number; mediaPurged: number; sessionsPurged: number }> {
      const t = now();
      const limits = (await deps.limits?.()) ?? { maxResultHours: null, maxMediaHours: null };
      const before = (hours: number | null) => (hours === null ? undefined : new Date(t.getTime() - hours * HOUR));
      const out = { expired: 0, mediaPurged: 0, sessionsPurged: 0 };
      for (let n = batch; n === batch;) out.expired += n = await expire(t);
      for (let n = batch; n === batch;) out.mediaPurged += n = await purgeMedia(t, before(limits.maxMediaHours));
      for (let n = batch; n === batch;) out.sessionsPurged += n = await purgeResults(t, before(limits.maxResultHours));
      return out;
    },
  };
}
export type Retention = ReturnType<typeof createRetention>;
