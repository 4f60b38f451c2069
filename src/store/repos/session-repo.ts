import type { Kysely } from 'kysely';
import type { Database, NewVerifySession, SessionStatus, VerifySessionRow, VerifySessionUpdate } from '../schema.js';

/** Verification sessions. Claims for background jobs use `for update skip locked` (call them inside a transaction). */
export function createSessionRepo(db: Kysely<Database>) {
  return {
    async insert(session: NewVerifySession): Promise<VerifySessionRow> {
      return db.insertInto('verify_session').values(session).returningAll().executeTakeFirstOrThrow();
    },
    async findByToken(token: string): Promise<VerifySessionRow | undefined> {
      return db.selectFrom('verify_session').selectAll().where('token', '=', token).executeTakeFirst();
    },
    async findById(id: string): Promise<VerifySessionRow | undefined> {
      return db.selectFrom('verify_session').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** The row, locked until the surrounding transaction ends. */
    async lockById(id: string): Promise<VerifySessionRow | undefined> {
      return db.selectFrom('verify_session').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    },
    async update(id: string, patch: VerifySessionUpdate): Promise<VerifySessionRow | undefined> {
      return db.updateTable('verify_session').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
    },
    async delete(id: string): Promise<boolean> {
      const res = await db.deleteFrom('verify_session').where('id', '=', id).executeTakeFirst();
      return res.numDeletedRows > 0n;
    },
    /**
     * An app's sessions, newest first, optionally by OuterOrderNo, plan and status (`expired` includes open sessions
     * past their expiry; `created` / `in_progress` exclude them). `before` pages by creation time.
     */
    async listByApp(
      appId: string,
      f: { outerOrderNo?: string; planId?: number; status?: SessionStatus; before?: Date; limit: number; now: Date },
    ): Promise<VerifySessionRow[]> {
      let q = db.selectFrom('verify_session').selectAll().where('app_id', '=', appId);
      if (f.outerOrderNo !== undefined) q = q.where('outer_order_no', '=', f.outerOrderNo);
      if (f.planId !== undefined) q = q.where('plan_id', '=', f.planId);
      if (f.before !== undefined) q = q.where('created_at', '<', f.before);
      if (f.status === 'expired') {
        q = q.where((eb) =>
          eb.or([
            eb('status', '=', 'expired'),
            eb.and([eb('status', 'in', ['created', 'in_progress']), eb('expires_at', '<=', f.now)]),
          ]),
        );
      } else if (f.status === 'created' || f.status === 'in_progress') {
        q = q.where('status', '=', f.status).where('expires_at', '>', f.now);
      } else if (f.status !== undefined) q = q.where('status', '=', f.status);
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
    },
    /** Sessions of a plan created from one client address since a time (demo rate limit). */
    async countByIpSince(
      planId: number,
      ipDigest: string,
      since: Date,
    ): Promise<{ count: number; oldest: Date | null }> {
      const row = await db
        .selectFrom('verify_session')
        .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('created_at').as('oldest')])
        .where('plan_id', '=', planId)
        .where('client_ip_digest', '=', ipDigest)
        .where('created_at', '>', since)
        .executeTakeFirstOrThrow();
      return { count: Number(row.n), oldest: row.oldest ? new Date(row.oldest as Date) : null };
    },
    /** Unfinished sessions past their expiry, locked. */
    async claimExpired(now: Date, limit: number): Promise<VerifySessionRow[]> {
      return db
        .selectFrom('verify_session')
        .selectAll()
        .where('status', 'in', ['created', 'in_progress'])
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
    },
    /**
     * Sessions whose images are due for deletion and still have some, locked. `finishedBefore` (the console's
     * retention.maxMediaHours) also makes due every session finished (or, unfinished, expired) before it.
     */
    async claimMediaDue(now: Date, limit: number, finishedBefore?: Date): Promise<VerifySessionRow[]> {
      return db
        .selectFrom('verify_session')
        .selectAll()
        .where((eb) =>
          finishedBefore
            ? eb.or([
                eb('media_purge_at', '<=', now),
                eb(eb.fn.coalesce('finished_at', 'expires_at'), '<=', finishedBefore),
              ])
            : eb('media_purge_at', '<=', now),
        )
        .where((eb) =>
          eb.or([
            eb('best_frame_key', 'is not', null),
            eb('env_frame_key', 'is not', null),
            eb('reference_blob_key', 'is not', null),
          ]),
        )
        .orderBy('media_purge_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
    },
    /** Sessions whose results are due for deletion, locked; `finishedBefore` as in claimMediaDue (maxResultHours). */
    async claimPurgeDue(now: Date, limit: number, finishedBefore?: Date): Promise<VerifySessionRow[]> {
      return db
        .selectFrom('verify_session')
        .selectAll()
        .where((eb) =>
          finishedBefore
            ? eb.or([eb('purge_at', '<=', now), eb(eb.fn.coalesce('finished_at', 'expires_at'), '<=', finishedBefore)])
            : eb('purge_at', '<=', now),
        )
        .orderBy('purge_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
    },
  };
}
export type SessionRepo = ReturnType<typeof createSessionRepo>;
