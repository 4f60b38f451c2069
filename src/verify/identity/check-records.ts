/**
 * Check records (docs/console.md "Check records"): every identity information check the service answers or refuses
 * is written down — app, plan, kind, source, result or error code, the mismatched field names, how long it took —
 * with the ID number only as its keyed digest (the purpose the sessions use, so the console finds a person's
 * sessions and checks by one number) and masked. Names, mobiles, bank cards, plates and photos are never kept.
 * Records older than CHECK_RECORD_RETENTION_DAYS are deleted by the background job loop.
 */
import { invalidField } from '../../errors.js';
import type { AppRepo } from '../../store/repos/app-repo.js';
import type { CheckRecordRepo } from '../../store/repos/check-record-repo.js';
import type { Keyring } from '../../store/secret-box.js';
import { maskIdNumber, normaliseIdentity } from '../identity.js';
import { IDENTITY_PURPOSE } from '../sessions.js';
import { CHECK_KINDS } from './types.js';

export const CHECK_RECORD_RETENTION_DAYS = 30;
const RESULTS = ['consistent', 'inconsistent', 'no_record', 'refused'] as const;

export interface CheckRecordInput {
  appId: string;
  planId: number | null;
  kind: string;
  paramType: string;
  /** The plain ID number as validated (never an md5 form); absent when the check had none. */
  idNumber?: string;
  provider: string | null;
  result: string | null;
  errorCode: string | null;
  mismatched: string[];
  durationMs: number;
  at: Date;
}

export interface CheckRecordView {
  id: number;
  app: { id: string; name: string };
  planId: number | null;
  kind: string;
  paramType: string;
  provider: string | null;
  result: string | null;
  errorCode: string | null;
  mismatched: string[];
  idNumber: string | null;
  durationMs: number;
  createdAt: string;
}

export interface CheckRecordQuery {
  from?: string;
  to?: string;
  app?: string;
  kind?: string;
  result?: string;
  idNumber?: string;
  before?: number;
  limit?: number;
}

export function createCheckRecords(deps: {
  repo: CheckRecordRepo;
  apps: Pick<AppRepo, 'findByName'>;
  keyring: Keyring;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const digest = (id: string) => deps.keyring.digest(IDENTITY_PURPOSE, id);
  const time = (field: string, v: string | undefined) => {
    if (v === undefined || v === '') return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw invalidField(field, 'must be an ISO 8601 time');
    return d;
  };

  return {
    async record(r: CheckRecordInput): Promise<void> {
      await deps.repo.insert({
        app_id: r.appId,
        plan_id: r.planId,
        kind: r.kind,
        param_type: r.paramType,
        provider: r.provider,
        result: r.result,
        error_code: r.errorCode,
        mismatched: r.mismatched,
        id_number_digest: r.idNumber ? digest(r.idNumber) : null,
        id_number_masked: r.idNumber ? maskIdNumber(r.idNumber) : null,
        duration_ms: Math.max(0, Math.round(r.durationMs)),
        created_at: r.at,
      });
    },

    /** The console's search, newest first; `nextBefore` pages. */
    async search(q: CheckRecordQuery): Promise<{ records: CheckRecordView[]; nextBefore: number | null }> {
      const limit = q.limit ?? 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 200)
        throw invalidField('limit', 'must be a whole number 1–200');
      if (q.kind !== undefined && !(CHECK_KINDS as readonly string[]).includes(q.kind))
        throw invalidField('kind', `must be one of ${CHECK_KINDS.join(', ')}`);
      if (q.result !== undefined && !(RESULTS as readonly string[]).includes(q.result))
        throw invalidField('result', `must be one of ${RESULTS.join(', ')}`);
      const from = time('from', q.from);
      const to = time('to', q.to);
      let appId: string | undefined;
      if (q.app) {
        const app = await deps.apps.findByName(q.app);
        if (!app) return { records: [], nextBefore: null };
        appId = app.id;
      }
      const idNumber = q.idNumber ? normaliseIdentity({ name: '-', idNumber: q.idNumber }).idNumber : undefined;
      const rows = await deps.repo.search({
        limit,
        ...(appId ? { appId } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.result ? { result: q.result } : {}),
        ...(idNumber ? { idNumberDigest: digest(idNumber) } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(q.before !== undefined ? { beforeId: q.before } : {}),
      });
      return {
        records: rows.map((r) => ({
          id: r.id,
          app: { id: r.app_id, name: r.app_name },
          planId: r.plan_id,
          kind: r.kind,
          paramType: r.param_type,
          provider: r.provider,
          result: r.result,
          errorCode: r.error_code,
          mismatched: r.mismatched,
          idNumber: r.id_number_masked,
          durationMs: r.duration_ms,
          createdAt: new Date(r.created_at).toISOString(),
        })),
        nextBefore: rows.length === limit ? rows.at(-1)!.id : null,
      };
    },

    /** Deletes records past the retention period; the number deleted. */
    async purge(at: Date = now()): Promise<number> {
      return deps.repo.purge(new Date(at.getTime() - CHECK_RECORD_RETENTION_DAYS * 86400_000));
    },
  };
}
export type CheckRecords = ReturnType<typeof createCheckRecords>;
