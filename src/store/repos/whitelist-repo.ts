import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Database, WhitelistEntryRow } from '../schema.js';

export interface WhitelistFilter {
  appId?: string;
  planId?: number;
  digest?: string;
  certifyId?: string;
  /** 'valid': valid_until after `at`; 'expired': at or before it. */
  status?: { valid: boolean; at: Date };
  /** Entries whose validity starts (created_at) at or after this time. */
  validFrom?: Date;
  /** Entries whose validity ends (valid_until) at or before this time. */
  validUntil?: Date;
}

/** Whitelisted ID numbers per plan (migration 0010); digests only, never raw values. */
export function createWhitelistRepo(db: Kysely<Database>) {
  const filtered = <O>(q: SelectQueryBuilder<Database, 'whitelist_entry', O>, f: WhitelistFilter) => {
    if (f.appId !== undefined) q = q.where('app_id', '=', f.appId);
    if (f.planId !== undefined) q = q.where('plan_id', '=', f.planId);
    if (f.digest !== undefined) q = q.where('digest', '=', f.digest);
    if (f.certifyId !== undefined) q = q.where('certify_id', '=', f.certifyId);
    if (f.status) q = q.where('valid_until', f.status.valid ? '>' : '<=', f.status.at);
    if (f.validFrom) q = q.where('created_at', '>=', f.validFrom);
    if (f.validUntil) q = q.where('valid_until', '<=', f.validUntil);
    return q;
  };
  return {
    async insert(v: {
      app_id: string;
      plan_id: number;
      digest: string;
      masked: string;
      certify_id: string | null;
      remark: string;
      valid_days: number;
      created_by: string;
      created_at: Date;
      valid_until: Date;
    }): Promise<WhitelistEntryRow> {
      return db.insertInto('whitelist_entry').values(v).returningAll().executeTakeFirstOrThrow();
    },
    async findById(id: number): Promise<WhitelistEntryRow | undefined> {
      return db.selectFrom('whitelist_entry').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** Deletes the entries with these ids (only the app's, when appId is given); returns the deleted rows. */
    async delete(ids: number[], appId?: string): Promise<WhitelistEntryRow[]> {
      if (ids.length === 0) return [];
      let q = db.deleteFrom('whitelist_entry').where('id', 'in', ids);
      if (appId !== undefined) q = q.where('app_id', '=', appId);
      return q.returningAll().execute();
    },
    /** Newest first, `offset` rows skipped. */
    async list(f: WhitelistFilter & { limit: number; offset?: number }): Promise<WhitelistEntryRow[]> {
      return filtered(db.selectFrom('whitelist_entry').selectAll(), f)
        .orderBy('id', 'desc')
        .limit(f.limit)
        .offset(f.offset ?? 0)
        .execute();
    },
    async count(f: WhitelistFilter): Promise<number> {
      const r = await filtered(
        db.selectFrom('whitelist_entry').select((eb) => eb.fn.countAll<string | number>().as('n')),
        f,
      ).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** Whether an entry of this app's plan lists the digest and is valid at `at`. */
    async isListed(appId: string, planId: number, digest: string, at: Date): Promise<boolean> {
      const row = await db
        .selectFrom('whitelist_entry')
        .select('id')
        .where('app_id', '=', appId)
        .where('plan_id', '=', planId)
        .where('digest', '=', digest)
        .where('created_at', '<=', at)
        .where('valid_until', '>', at)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
export type WhitelistRepo = ReturnType<typeof createWhitelistRepo>;
