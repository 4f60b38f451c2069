import type { Kysely } from 'kysely';
import type { BlacklistEntryRow, BlacklistKind, Database } from '../schema.js';

/** Blacklisted ID numbers and client addresses (migration 0009); digests only, never raw values. */
export function createBlacklistRepo(db: Kysely<Database>) {
  return {
    async insert(v: {
      app_id: string | null;
      kind: BlacklistKind;
      digest: string;
      masked: string;
      reason: string;
      created_by: string;
      created_at: Date;
      expires_at: Date | null;
    }): Promise<BlacklistEntryRow> {
      return db.insertInto('blacklist_entry').values(v).returningAll().executeTakeFirstOrThrow();
    },
    async delete(id: number): Promise<BlacklistEntryRow | undefined> {
      return db.deleteFrom('blacklist_entry').where('id', '=', id).returningAll().executeTakeFirst();
    },
    /** Newest first; optionally only entries still in force at `activeAt`. */
    async list(f: { kind?: BlacklistKind; activeAt?: Date; limit: number }): Promise<BlacklistEntryRow[]> {
      let q = db.selectFrom('blacklist_entry').selectAll();
      if (f.kind) q = q.where('kind', '=', f.kind);
      const at = f.activeAt;
      if (at) q = q.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]));
      return q.orderBy('id', 'desc').limit(f.limit).execute();
    },
    /** Whether an entry for this app (or for every app) lists the digest and has not expired at `at`. */
    async isListed(appId: string, kind: BlacklistKind, digest: string, at: Date): Promise<boolean> {
      const row = await db
        .selectFrom('blacklist_entry')
        .select('id')
        .where('kind', '=', kind)
        .where('digest', '=', digest)
        .where((eb) => eb.or([eb('app_id', 'is', null), eb('app_id', '=', appId)]))
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
export type BlacklistRepo = ReturnType<typeof createBlacklistRepo>;
