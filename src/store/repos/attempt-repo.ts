import type { Kysely } from 'kysely';
import type { Database, NewVerifyAttempt, VerifyAttemptRow } from '../schema.js';

/** The attempts of a session, in order: one row per submitted capture, with its outcome and charge counter. */
export function createAttemptRepo(db: Kysely<Database>) {
  return {
    async insert(attempt: NewVerifyAttempt): Promise<VerifyAttemptRow> {
      return db.insertInto('verify_attempt').values(attempt).returningAll().executeTakeFirstOrThrow();
    },
    async listBySession(sessionId: string): Promise<VerifyAttemptRow[]> {
      return db.selectFrom('verify_attempt').selectAll().where('session_id', '=', sessionId).orderBy('order').execute();
    },
    async countBySession(sessionId: string): Promise<number> {
      const row = await db
        .selectFrom('verify_attempt')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('session_id', '=', sessionId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** Failed attempts made from one client address since a time, and the oldest of them. */
    async failuresByIpSince(ipDigest: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
      const row = await db
        .selectFrom('verify_attempt')
        .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('finished_at').as('oldest')])
        .where('client_ip_digest', '=', ipDigest)
        .where('passed', '=', false)
        .where('finished_at', '>', since)
        .executeTakeFirstOrThrow();
      return { count: Number(row.n), oldest: row.oldest ? new Date(row.oldest as Date) : null };
    },
  };
}
export type AttemptRepo = ReturnType<typeof createAttemptRepo>;
