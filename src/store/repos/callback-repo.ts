import type { Kysely } from 'kysely';
import type { CallbackDeliveryRow, CallbackTryRow, Database } from '../schema.js';

/** Result callbacks to the operator's server: one delivery per final result, every try recorded. */
export function createCallbackRepo(db: Kysely<Database>) {
  return {
    async insert(d: { sessionId: string; url: string; body: string; now: Date }): Promise<CallbackDeliveryRow> {
      return db
        .insertInto('callback_delivery')
        .values({
          session_id: d.sessionId,
          url: d.url,
          body: d.body,
          attempts: 0,
          next_attempt_at: d.now,
          status: 'pending',
          last_status: null,
          last_error: null,
          created_at: d.now,
          delivered_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** Pending deliveries that are due, locked (call inside a transaction, then lease them). */
    async claimDue(now: Date, limit: number): Promise<CallbackDeliveryRow[]> {
      return db
        .selectFrom('callback_delivery')
        .selectAll()
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
    },
    /** Pushes next_attempt_at out so another worker does not take the rows while they are being delivered. */
    async lease(ids: number[], until: Date): Promise<void> {
      if (ids.length === 0) return;
      await db.updateTable('callback_delivery').set({ next_attempt_at: until }).where('id', 'in', ids).execute();
    },
    async recordTry(t: {
      deliveryId: number;
      tryNo: number;
      at: Date;
      httpStatus: number | null;
      error: string | null;
      durationMs: number;
    }): Promise<void> {
      await db
        .insertInto('callback_try')
        .values({
          delivery_id: t.deliveryId,
          try_no: t.tryNo,
          at: t.at,
          http_status: t.httpStatus,
          error: t.error,
          duration_ms: t.durationMs,
        })
        .execute();
    },
    async update(
      id: number,
      patch: {
        attempts: number;
        status: 'pending' | 'delivered' | 'failed';
        nextAttemptAt: Date;
        lastStatus: number | null;
        lastError: string | null;
        deliveredAt: Date | null;
      },
    ): Promise<void> {
      await db
        .updateTable('callback_delivery')
        .set({
          attempts: patch.attempts,
          status: patch.status,
          next_attempt_at: patch.nextAttemptAt,
          last_status: patch.lastStatus,
          last_error: patch.lastError,
          delivered_at: patch.deliveredAt,
        })
        .where('id', '=', id)
        .execute();
    },
    async listBySession(sessionId: string): Promise<(CallbackDeliveryRow & { tries: CallbackTryRow[] })[]> {
      const deliveries = await db
        .selectFrom('callback_delivery')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('id')
        .execute();
      if (deliveries.length === 0) return [];
      const tries = await db
        .selectFrom('callback_try')
        .selectAll()
        .where(
          'delivery_id',
          'in',
          deliveries.map((d) => d.id),
        )
        .orderBy('id')
        .execute();
      return deliveries.map((d) => ({ ...d, tries: tries.filter((t) => t.delivery_id === d.id) }));
    },
  };
}
export type CallbackRepo = ReturnType<typeof createCallbackRepo>;
