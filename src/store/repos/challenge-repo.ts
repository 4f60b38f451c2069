import type { Kysely } from 'kysely';
import type { ChallengeRow, Database } from '../schema.js';

/** Single-use liveness challenges bound to a session. */
export function createChallengeRepo(db: Kysely<Database>) {
  return {
    async insert(c: { id: string; sessionId: string; spec: unknown; issuedAt: Date; expiresAt: Date }) {
      await db
        .insertInto('challenge')
        .values({
          id: c.id,
          session_id: c.sessionId,
          spec: JSON.stringify(c.spec),
          issued_at: c.issuedAt,
          expires_at: c.expiresAt,
          used_at: null,
        })
        .execute();
    },
    async findById(id: string): Promise<ChallengeRow | undefined> {
      return db.selectFrom('challenge').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /**
     * Marks the challenge used. False when it is unknown, belongs to another session, was already used or has
     * expired: exactly one caller can win.
     */
    async claim(id: string, sessionId: string, now: Date): Promise<boolean> {
      const res = await db
        .updateTable('challenge')
        .set({ used_at: now })
        .where('id', '=', id)
        .where('session_id', '=', sessionId)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },
  };
}
export type ChallengeRepo = ReturnType<typeof createChallengeRepo>;
