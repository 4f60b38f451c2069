/**
 * CSV exports of console records (docs/console.md): a console user asks for the records matching the filters of the
 * records search; a job row (export_job) is queued and run in the background, paging through the records by keyset
 * and writing a CSV into the blob store (encrypted at rest) under exports/<id>.csv, with its progress in the row.
 *
 * Running: `runDue()` claims queued jobs with `for update skip locked` (the background job runner calls it, and the
 * service starts it in-process right after a job is created so the user does not wait for the next tick). A running
 * job refreshes its heartbeat after every page; a job whose heartbeat is older than `staleMs` (its process died) is
 * claimed again and restarted from the first row. A job that fails is marked failed with the error message.
 *
 * Exports expire `ttlMs` after creation: the job reads as expired at once, the download is refused, and the next
 * `runDue()` deletes the blob for real and marks the row expired.
 *
 * Identities are only ever written masked; an ID-number filter is stored as its keyed digest, never in clear text.
 * Cells that a spreadsheet would read as a formula (= + - @, tab, carriage return first) get a leading single quote.
 */
import { randomBytes } from 'node:crypto';
import { ShirenError } from '../errors.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Repos, Transactor } from '../store/repos/index.js';
import type { RecordRow } from '../store/repos/record-repo.js';
import type { ExportJobRow, ExportStatus } from '../store/schema.js';
import type { RecordQuery, RecordService } from './records.js';
import { effectiveStatus } from './sessions.js';

export const EXPORT_TTL_MS = 24 * 3600_000;
const STALE_MS = 2 * 60_000;
const PAGE = 500;
export const EXPORT_ID_PATTERN = /^[a-f0-9]{32}$/;

export const CSV_COLUMNS = [
  'created_at',
  'app',
  'plan_id',
  'token',
  'outer_order_no',
  'status',
  'result_code',
  'score',
  'threshold',
  'liveness_score',
  'name',
  'id_number',
] as const;

/** The filters an export accepts: those of GET /v1/console/records, without paging. */
export type ExportQuery = Omit<RecordQuery, 'cursor' | 'limit'>;
type StoredFilters = Omit<ExportQuery, 'idNumber'> & { identityDigest?: string };

export interface ExportView {
  id: string;
  status: ExportStatus;
  requestedBy: string;
  filters: Omit<StoredFilters, 'identityDigest'> & { idNumber?: 'given' };
  rowsTotal: number | null;
  rowsDone: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  expiresAt: string;
  /** Present when the export is done and not expired. */
  downloadUrl: string | null;
}

/** One CSV cell: formula guard, then RFC 4180 quoting. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: (string | number | null | undefined)[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

export interface ExportLogger {
  warn(obj: object, msg: string): void;
}

export function createExportService(deps: {
  repos: Pick<Repos, 'exports' | 'records' | 'audit'>;
  transaction: Transactor;
  blobs: BlobStore;
  records: Pick<RecordService, 'filterOf' | 'masked' | 'identityDigest'>;
  now?: () => Date;
  ttlMs?: number;
  staleMs?: number;
  pageSize?: number;
  /** Start a job in this process right after it is created (default true). */
  runOnCreate?: boolean;
  /** Where the download of a job is served (the console route). */
  downloadUrl?: (id: string) => string;
  log?: ExportLogger;
}) {
  const now = deps.now ?? (() => new Date());
  const ttlMs = deps.ttlMs ?? EXPORT_TTL_MS;
  const staleMs = deps.staleMs ?? STALE_MS;
  const pageSize = deps.pageSize ?? PAGE;
  const urlOf = deps.downloadUrl ?? ((id: string) => `/v1/console/exports/${id}/download`);
  const inFlight = new Set<Promise<unknown>>();

  function statusOf(job: ExportJobRow, t: Date): ExportStatus {
    return job.status !== 'expired' && new Date(job.expires_at) <= t ? 'expired' : job.status;
  }

  function view(job: ExportJobRow): ExportView {
    const status = statusOf(job, now());
    const { identityDigest, ...rest } = job.filters as StoredFilters;
    return {
      id: job.id,
      status,
      requestedBy: job.requested_by,
      filters: { ...rest, ...(identityDigest ? { idNumber: 'given' as const } : {}) },
      rowsTotal: job.rows_total,
      rowsDone: job.rows_done,
      error: job.error,
      createdAt: new Date(job.created_at).toISOString(),
      finishedAt: job.finished_at ? new Date(job.finished_at).toISOString() : null,
      expiresAt: new Date(job.expires_at).toISOString(),
      downloadUrl: status === 'done' ? urlOf(job.id) : null,
    };
  }

  async function find(id: string): Promise<ExportJobRow> {
    const job = EXPORT_ID_PATTERN.test(id) ? await deps.repos.exports.findById(id) : undefined;
    if (!job) throw new ShirenError('not_found', 'no export with this id');
    return job;
  }

  function csvRow(row: RecordRow, t: Date): string {
    const r = row.result as { code?: string; score?: number; threshold?: number; livenessScore?: number } | null;
    const who = deps.records.masked(row);
    return csvLine([
      new Date(row.created_at).toISOString(),
      row.app_name,
      row.plan_id,
      row.token,
      row.outer_order_no,
      effectiveStatus(row, t),
      r?.code,
      r?.score,
      r?.threshold,
      r?.livenessScore,
      who?.name,
      who?.idNumber,
    ]);
  }

  /** Writes the CSV of one claimed job; stops when the job is no longer running (it expired meanwhile). */
  async function execute(job: ExportJobRow): Promise<void> {
    const t = now();
    const filter = await deps.records.filterOf({ ...(job.filters as StoredFilters), limit: pageSize }, t);
    const total = filter ? await deps.repos.records.count(filter) : 0;
    if (!(await deps.repos.exports.progress(job.id, { rows_done: 0, rows_total: total, at: now() }))) return;
    // A UTF-8 byte-order mark, so that spreadsheet programs read the Chinese names right.
    const parts: string[] = ['\uFEFF' + csvLine([...CSV_COLUMNS])];
    let done = 0;
    while (filter) {
      const rows = await deps.repos.records.search(filter);
      for (const row of rows) parts.push(csvRow(row, t));
      done += rows.length;
      if (!(await deps.repos.exports.progress(job.id, { rows_done: done, at: now() }))) return;
      const last = rows.at(-1);
      if (!last || rows.length < filter.limit) break;
      filter.after = { createdAt: last.cursor_at, id: last.id };
    }
    const key = `exports/${job.id}.csv`;
    await deps.blobs.put(key, Buffer.from(parts.join(''), 'utf8'));
    await deps.repos.exports.finish(job.id, { status: 'done', at: now(), blob_key: key, rows_done: done });
  }

  /** Claims and runs one job; false when none was due. */
  async function runNext(): Promise<boolean> {
    const job = await deps.transaction(async (tx) => {
      const t = now();
      const next = await tx.exports.claimNext(t, new Date(t.getTime() - staleMs));
      if (next) await tx.exports.start(next.id, t);
      return next;
    });
    if (!job) return false;
    try {
      await execute(job);
    } catch (err) {
      deps.log?.warn({ err, exportId: job.id }, 'CSV export failed');
      const message = err instanceof Error ? err.message : String(err);
      await deps.repos.exports.finish(job.id, { status: 'failed', at: now(), error: message.slice(0, 500) });
    }
    return true;
  }

  async function purgeExpired(): Promise<number> {
    let purged = 0;
    for (;;) {
      const n = await deps.transaction(async (tx) => {
        const t = now();
        const rows = await tx.exports.claimExpired(t, 50);
        for (const job of rows) {
          await deps.blobs.delete(`exports/${job.id}.csv`);
          await tx.exports.markExpired(job.id, t);
        }
        return rows.length;
      });
      purged += n;
      if (n < 50) return purged;
    }
  }

  async function runDue(): Promise<{ ran: number; expired: number }> {
    let ran = 0;
    while (ran < 20 && (await runNext())) ran++;
    return { ran, expired: await purgeExpired() };
  }

  function kick() {
    const p = runDue()
      .catch((err: unknown) => deps.log?.warn({ err }, 'CSV export run failed'))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }

  return {
    /** Queues an export of the records matching `q` (validated as the search validates it) and starts it. */
    async create(q: ExportQuery, actor: string): Promise<ExportView> {
      await deps.records.filterOf(q, now()); // 400 invalid_request on a bad filter, before anything is stored
      const { idNumber, ...rest } = q;
      const filters: StoredFilters = Object.fromEntries(
        Object.entries(rest).filter(([, v]) => v !== undefined && v !== ''),
      ) as StoredFilters;
      if (idNumber) filters.identityDigest = deps.records.identityDigest(idNumber);
      const t = now();
      const job = await deps.repos.exports.insert({
        id: randomBytes(16).toString('hex'),
        requested_by: actor,
        filters,
        created_at: t,
        expires_at: new Date(t.getTime() + ttlMs),
      });
      const shown = view(job);
      await deps.repos.audit.record({
        actor,
        action: 'export.create',
        target: job.id,
        details: { filters: shown.filters },
      });
      if (deps.runOnCreate ?? true) kick();
      return shown;
    },

    async get(id: string): Promise<ExportView> {
      return view(await find(id));
    },

    /** The CSV of a finished export (audited); 409 conflict while it is not done, or once it expired. */
    async download(id: string, actor: string): Promise<{ csv: Buffer; filename: string }> {
      const job = await find(id);
      const status = statusOf(job, now());
      if (status === 'expired')
        throw new ShirenError('conflict', 'this export expired and its file was deleted; export again', {
          details: { status },
        });
      if (status !== 'done' || !job.blob_key)
        throw new ShirenError('conflict', `this export is ${status}, not done`, { details: { status } });
      const csv = await deps.blobs.get(job.blob_key);
      if (!csv)
        throw new ShirenError('conflict', 'the file of this export is gone; export again', { details: { status } });
      await deps.repos.audit.record({
        actor,
        action: 'export.download',
        target: job.id,
        details: { rows: job.rows_done },
      });
      return {
        csv,
        filename: `shiren-records-${new Date(job.created_at).toISOString().slice(0, 10)}-${job.id.slice(0, 8)}.csv`,
      };
    },

    runDue,
    purgeExpired,
    /** Waits for jobs started in this process (tests, shutdown). */
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
export type ExportService = ReturnType<typeof createExportService>;
