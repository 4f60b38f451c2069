/**
 * Result callbacks: when a session reaches a final result (passed, failed, expired) a delivery row is queued in the
 * same transaction; a background worker POSTs it to the plan's callback URL, signed, and retries with backoff.
 *
 * Signature: X-Shiren-Timestamp = unix seconds; X-Shiren-Signature = hex(HMAC-SHA256(callbackSecret,
 * timestamp + "." + body)). The receiver recomputes it over the raw body, compares in constant time and rejects
 * old timestamps. X-Shiren-Delivery identifies the delivery (the same on every retry: use it to de-duplicate).
 */
import { createHmac } from 'node:crypto';
import type { Keyring } from '../store/secret-box.js';
import type { CallbackRepo } from '../store/repos/callback-repo.js';
import type { PlanRepo } from '../store/repos/plan-repo.js';
import type { SessionRepo } from '../store/repos/session-repo.js';
import type { Transactor } from '../store/repos/index.js';
import type { PlanRow, SessionStatus } from '../store/schema.js';
import { CALLBACK_SECRET_PURPOSE } from './plans.js';

/** Waits after the 1st, 2nd, … failed try; after the last one the delivery is marked failed. */
export const DEFAULT_BACKOFF_SECONDS = [10, 60, 300, 1800, 7200] as const;

export interface SessionResult {
  passed: boolean;
  code: string;
  message: string;
  score: number | null;
  threshold: number | null;
  livenessScore: number | null;
  /** True when a failed face comparison was overridden by a whitelist entry (code `whitelisted`). */
  whitelisted?: boolean;
}

export interface CallbackPayload {
  token: string;
  outerOrderNo: string | null;
  status: SessionStatus;
  passed: boolean;
  code: string;
  score: number | null;
  threshold: number | null;
  livenessScore: number | null;
  finishedAt: string;
}

export function callbackBody(
  session: { token: string; outer_order_no: string | null },
  status: SessionStatus,
  result: SessionResult,
  finishedAt: Date,
): string {
  const payload: CallbackPayload = {
    token: session.token,
    outerOrderNo: session.outer_order_no,
    status,
    passed: result.passed,
    code: result.code,
    score: result.score,
    threshold: result.threshold,
    livenessScore: result.livenessScore,
    finishedAt: finishedAt.toISOString(),
  };
  return JSON.stringify(payload);
}

/** hex(HMAC-SHA256(secret, timestamp + "." + body)) */
export function signCallback(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** Queues the callback of a final result when the plan has a callback URL (call inside the result's transaction). */
export async function queueCallback(
  callbacks: CallbackRepo,
  plan: PlanRow,
  session: { id: string; token: string; outer_order_no: string | null },
  status: SessionStatus,
  result: SessionResult,
  finishedAt: Date,
): Promise<void> {
  if (!plan.callback_url) return;
  await callbacks.insert({
    sessionId: session.id,
    url: plan.callback_url,
    body: callbackBody(session, status, result, finishedAt),
    now: finishedAt,
  });
}

export interface CallbackLogger {
  warn(obj: object, msg: string): void;
}

export interface CallbackSenderDeps {
  transaction: Transactor;
  callbacks: CallbackRepo;
  sessions: SessionRepo;
  plans: PlanRepo;
  keyring: Keyring;
  now?: () => Date;
  fetch?: typeof fetch;
  /** Deadline of one HTTP try (default 10 s). */
  timeoutMs?: number;
  backoffSeconds?: readonly number[];
  log?: CallbackLogger;
}

export function createCallbackSender(deps: CallbackSenderDeps) {
  const now = deps.now ?? (() => new Date());
  const doFetch = deps.fetch ?? fetch;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const backoff = deps.backoffSeconds ?? DEFAULT_BACKOFF_SECONDS;
  const box = deps.keyring.box(CALLBACK_SECRET_PURPOSE);

  async function attempt(
    delivery: { id: number; session_id: string; url: string; body: string; attempts: number },
    secret: string | undefined,
  ) {
    const at = now();
    const timestamp = String(Math.floor(at.getTime() / 1000));
    const started = performance.now();
    let httpStatus: number | null = null;
    let error: string | null = null;
    try {
      const res = await doFetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'shiren-callback/1',
          'x-shiren-timestamp': timestamp,
          'x-shiren-delivery': String(delivery.id),
          ...(secret ? { 'x-shiren-signature': signCallback(secret, timestamp, delivery.body) } : {}),
        },
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      httpStatus = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      error = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message ?? 'error');
    }
    const durationMs = Math.round(performance.now() - started);
    const tries = delivery.attempts + 1;
    const ok = error === null;
    const giveUp = !ok && tries > backoff.length;
    const wait = ok || giveUp ? 0 : backoff[tries - 1]!;
    await deps.transaction(async (tx) => {
      await tx.callbacks.recordTry({ deliveryId: delivery.id, tryNo: tries, at, httpStatus, error, durationMs });
      await tx.callbacks.update(delivery.id, {
        attempts: tries,
        status: ok ? 'delivered' : giveUp ? 'failed' : 'pending',
        nextAttemptAt: new Date(at.getTime() + wait * 1000),
        lastStatus: httpStatus,
        lastError: error,
        deliveredAt: ok ? at : null,
      });
    });
    if (!ok) deps.log?.warn({ delivery: delivery.id, tries, error, giveUp }, 'callback delivery failed');
    return ok ? 'delivered' : giveUp ? 'failed' : 'retry';
  }

  return {
    /** Delivers the callbacks that are due; returns how many were delivered, will be retried, or gave up. */
    async deliverDue(limit = 10): Promise<{ delivered: number; retry: number; failed: number }> {
      const t = now();
      // Take the rows and lease them past one try's deadline, so a parallel worker skips them.
      const due = await deps.transaction(async (tx) => {
        const rows = await tx.callbacks.claimDue(t, limit);
        await tx.callbacks.lease(
          rows.map((r) => r.id),
          new Date(t.getTime() + timeoutMs + 60_000),
        );
        return rows;
      });
      const counts = { delivered: 0, retry: 0, failed: 0 };
      await Promise.all(
        due.map(async (d) => {
          const session = await deps.sessions.findById(d.session_id);
          const plan = session ? await deps.plans.findById(session.plan_id) : undefined;
          const secret = plan?.callback_secret_enc ? box.decryptString(plan.callback_secret_enc) : undefined;
          counts[await attempt(d, secret)]++;
        }),
      );
      return counts;
    },
  };
}
export type CallbackSender = ReturnType<typeof createCallbackSender>;
