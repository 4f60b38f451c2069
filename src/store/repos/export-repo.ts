import { sql, type Kysely } from 'kysely';
import type { Database, ExportJobRow, ExportStatus } from '../schema.js';

/** CSV export jobs of the console. Claims use `for update skip locked` (call them inside a transaction). */
export function createExportRepo(db: Kysely<Database>) {
  return {
    async insert(job: {
      id: string;
      requested_by: string;
      filters: unknown;
      created_at?: Date;
      expires_at: Date;
    }): Promise<ExportJobRow> {
      return db
        .insertInto('export_job')
        .values({ ...job, filters: JSON.stringify(job.filters), status: 'queued' })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    async findById(id: string): Promise<ExportJobRow | undefined> {
      return db.selectFrom('export_job').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /**
     * The oldest job to run, locked: queued, or running with a heartbeat older than `staleBefore` (its worker died).
     * The caller marks it running with a fresh heartbeat in the same transaction.
     */
    async claimNext(now: Date, staleBefore: Date): Promise<ExportJobRow | undefined> {
      return db
        .selectFrom('export_job')
        .selectAll()
        .where('expires_at', '>', now)
        .where((eb) =>
          eb.or([
            eb('status', '=', 'queued'),
            eb.and([eb('status', '=', 'running'), eb('heartbeat_at', '<', staleBefore)]),
          ]),
        )
        .orderBy('created_at')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
    },
    /** Marks a claimed job running for this worker, from its first row. */
    async start(id: string, at: Date): Promise<void> {
      await db
        .updateTable('export_job')
        .set({ status: 'running', heartbeat_at: at, rows_done: 0, error: null })
        .where('id', '=', id)
        .execute();
    },
    /** Progress while running; only while this worker still owns it (status running). */
    async progress(id: string, p: { rows_done: number; rows_total?: number; at: Date }): Promise<boolean> {
      const r = await db
        .updateTable('export_job')
        .set({
          rows_done: p.rows_done,
          heartbeat_at: p.at,
          ...(p.rows_total !== undefined ? { rows_total: p.rows_total } : {}),
        })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async finish(
      id: string,
      f: {
        status: Extract<ExportStatus, 'done' | 'failed'>;
        at: Date;
        blob_key?: string;
        error?: string;
        rows_done?: number;
      },
    ): Promise<void> {
      await db
        .updateTable('export_job')
        .set({
          status: f.status,
          finished_at: f.at,
          heartbeat_at: f.at,
          blob_key: f.blob_key ?? null,
          error: f.error ?? null,
          ...(f.rows_done !== undefined ? { rows_done: f.rows_done } : {}),
        })
        .where('id', '=', id)
        .execute();
    },
    /** Jobs past their expiry that are not yet marked expired, locked. */
    async claimExpired(now: Date, limit: number): Promise<ExportJobRow[]> {
      return db
        .selectFrom('export_job')
        .selectAll()
        .where('expires_at', '<=', now)
        .where('status', '!=', 'expired')
        .orderBy('expires_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
    },
    async markExpired(id: string, at: Date): Promise<void> {
      await db
        .updateTable('export_job')
        .set({ status: 'expired', blob_key: null, finished_at: sql`coalesce(finished_at, ${at})` })
        .where('id', '=', id)
        .execute();
    },
  };
}
export type ExportRepo = ReturnType<typeof createExportRepo>;
