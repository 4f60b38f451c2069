import type { Kysely } from 'kysely';
import type { AuditLogRow, Database } from '../schema.js';

/** Who did what, when. Details never hold secrets or personal data. */
export function createAuditRepo(db: Kysely<Database>) {
  return {
    async record(entry: { actor: string; action: string; target?: string; details?: Record<string, unknown> }) {
      await db
        .insertInto('audit_log')
        .values({
          actor: entry.actor,
          action: entry.action,
          target: entry.target ?? null,
          details: entry.details ? JSON.stringify(entry.details) : null,
        })
        .execute();
    },
    async recent(limit = 100): Promise<AuditLogRow[]> {
      return db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit).execute();
    },
    /** Newest first; `beforeId` pages (keyset on the id); actor exact, action exact or a prefix ending in ".". */
    async list(f: { beforeId?: number; actor?: string; action?: string; limit: number }): Promise<AuditLogRow[]> {
      let q = db.selectFrom('audit_log').selectAll();
      if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
      if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
      if (f.action !== undefined) {
        q = f.action.endsWith('.')
          ? q.where('action', 'like', `${f.action.replace(/[\\%_]/g, '\\$&')}%`)
          : q.where('action', '=', f.action);
      }
      return q.orderBy('id', 'desc').limit(f.limit).execute();
    },
  };
}
export type AuditRepo = ReturnType<typeof createAuditRepo>;
