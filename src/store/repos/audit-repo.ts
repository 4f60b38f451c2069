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
  };
}
export type AuditRepo = ReturnType<typeof createAuditRepo>;
