import type { Kysely } from 'kysely';
import type { Database, IdentityCheckRecordRow } from '../schema.js';

export interface CheckRecordFilter {
  appId?: string;
  kind?: string;
  /** A CheckResult, or "refused" for checks refused with an error code. */
  result?: string;
  idNumberDigest?: string;
  from?: Date;
  to?: Date;
  /** Keyset: only records with a smaller id (newest first). */
  beforeId?: number;
  limit: number;
}

/** Identity check records (migration 0016): digests and masked values only. */
export function createCheckRecordRepo(db: Kysely<Database>) {
  return {
    async insert(v: Omit<IdentityCheckRecordRow, 'id' | 'mismatched'> & { mismatched: string[] }): Promise<void> {
      await db
        .insertInto('identity_check_record')
        .values({ ...v, mismatched: JSON.stringify(v.mismatched) })
        .execute();
    },
    /** Newest first. */
    async search(f: CheckRecordFilter): Promise<(IdentityCheckRecordRow & { app_name: string })[]> {
      let q = db
        .selectFrom('identity_check_record as c')
        .innerJoin('app', 'app.id', 'c.app_id')
        .selectAll('c')
        .select('app.name as app_name');
      if (f.appId !== undefined) q = q.where('c.app_id', '=', f.appId);
      if (f.kind !== undefined) q = q.where('c.kind', '=', f.kind);
      if (f.result === 'refused') q = q.where('c.error_code', 'is not', null);
      else if (f.result !== undefined) q = q.where('c.result', '=', f.result);
      if (f.idNumberDigest !== undefined) q = q.where('c.id_number_digest', '=', f.idNumberDigest);
      if (f.from !== undefined) q = q.where('c.created_at', '>=', f.from);
      if (f.to !== undefined) q = q.where('c.created_at', '<', f.to);
      if (f.beforeId !== undefined) q = q.where('c.id', '<', f.beforeId);
      return q.orderBy('c.id', 'desc').limit(f.limit).execute();
    },
    /** Deletes the records created before `before`; the number deleted. */
    async purge(before: Date): Promise<number> {
      const r = await db.deleteFrom('identity_check_record').where('created_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type CheckRecordRepo = ReturnType<typeof createCheckRecordRepo>;
