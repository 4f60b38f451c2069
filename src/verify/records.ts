/**
 * Verification records for the operator console: a search over every app's sessions (time range, app, plan, status,
 * result code, OuterOrderNo, ID number), newest first with keyset pagination; the detail of one record; its audit
 * images; its real deletion. ID numbers are looked up by their keyed digest, never in clear text, and identities are
 * shown only masked. The detail and the deletion reuse the session service (src/verify/sessions.ts).
 */
import { ShirenError } from '../errors.js';
import type { Repos } from '../store/repos/index.js';
import type { RecordFilter } from '../store/repos/record-repo.js';
import type { SessionStatus, VerifySessionRow } from '../store/schema.js';
import type { Keyring } from '../store/secret-box.js';
import { maskIdNumber, maskName } from './identity.js';
import { DEVICE_PREFIX_LENGTH } from './blacklist.js';
import { effectiveStatus, IDENTITY_PURPOSE, TOKEN_PATTERN, type SessionService, type SessionView } from './sessions.js';

const STATUSES: readonly SessionStatus[] = ['created', 'in_progress', 'passed', 'failed', 'expired'];
export const MAX_PAGE = 200;

export interface RecordQuery {
  from?: string;
  to?: string;
  app?: string;
  planId?: number;
  status?: string;
  resultCode?: string;
  outerOrderNo?: string;
  idNumber?: string;
  cursor?: string;
  limit?: number;
}

export interface RecordSummary {
  token: string;
  sessionId: string;
  app: { id: string; name: string };
  plan: { id: number; name: string };
  status: SessionStatus;
  outerOrderNo: string | null;
  createdAt: string;
  finishedAt: string | null;
  identity: { name: string; idNumber: string } | null;
  result: { passed: boolean; code: string; score: number | null; threshold: number | null } | null;
  /** Started from the console's plan preview link (not counted in statistics). */
  preview: boolean;
}

export interface RecordDetail extends SessionView {
  app: { id: string; name: string };
  plan: { id: number; name: string; livenessMode: string; compareSource: string; thresholdScore: number };
  /** Per attempt: frame count, best frame, the liveness verifier's measurements (quality fields). */
  analysis: { order: number; details: unknown }[];
  preview: boolean;
  /**
   * The H5 page's device (keyed digest, keyring purpose "device") last seen at a challenge or attempt; `prefix` is
   * what the console shows, `digest` what the blacklist takes (docs/console.md, "Blacklist"). null: none was sent.
   */
  device: { digest: string; prefix: string } | null;
}

function badField(field: string, message: string): never {
  throw new ShirenError('invalid_request', `${field}: ${message}`, { details: { field } });
}

function time(field: string, v: string | undefined): Date | undefined {
  if (v === undefined || v === '') return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) badField(field, 'must be an ISO 8601 time');
  return d;
}

export function encodeCursor(row: { cursor_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.cursor_at, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(v[0]) &&
      typeof v[1] === 'string' &&
      v[1].length <= 64
    )
      return { createdAt: v[0], id: v[1] };
  } catch {
    // falls through
  }
  return badField('cursor', 'not a cursor this server returned');
}

export function createRecordService(deps: {
  repos: Pick<Repos, 'records' | 'sessions' | 'attempts' | 'apps' | 'plans'>;
  sessions: Pick<SessionService, 'get' | 'image' | 'delete'>;
  keyring: Keyring;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const identityBox = deps.keyring.box(IDENTITY_PURPOSE);

  function masked(row: VerifySessionRow) {
    if (!row.identity_name_enc || !row.identity_number_enc) return null;
    return {
      name: maskName(identityBox.decryptString(row.identity_name_enc)),
      idNumber: maskIdNumber(identityBox.decryptString(row.identity_number_enc)),
    };
  }

  async function byToken(token: string): Promise<VerifySessionRow> {
    const row = TOKEN_PATTERN.test(token) ? await deps.repos.sessions.findByToken(token) : undefined;
    if (!row) throw new ShirenError('not_found', 'no verification record with this token');
    return row;
  }

  /**
   * Validates a query and turns it into the repository's filter; undefined when nothing can match (unknown app).
   * `identityDigest` (the keyed digest of an ID number) may stand in for `idNumber` (stored CSV export filters).
   */
  async function filterOf(q: RecordQuery & { identityDigest?: string }, t: Date): Promise<RecordFilter | undefined> {
    const filter: RecordFilter = { limit: Math.min(Math.max(q.limit ?? 50, 1), MAX_PAGE), now: t };
    const from = time('from', q.from);
    const to = time('to', q.to);
    if (from) filter.from = from;
    if (to) filter.to = to;
    if (from && to && from >= to) badField('to', 'must be after from');
    if (q.app) {
      const app = await deps.repos.apps.findByName(q.app);
      if (!app) return undefined;
      filter.appId = app.id;
    }
    if (q.planId !== undefined) filter.planId = q.planId;
    if (q.status) {
      if (!STATUSES.includes(q.status as SessionStatus)) badField('status', `must be one of ${STATUSES.join(', ')}`);
      filter.status = q.status as SessionStatus;
    }
    if (q.resultCode) {
      if (!/^[a-z][a-z0-9_]{0,63}$/.test(q.resultCode)) badField('resultCode', 'must be a lower snake_case code');
      filter.resultCode = q.resultCode;
    }
    if (q.outerOrderNo) filter.outerOrderNo = q.outerOrderNo.trim();
    if (q.idNumber) {
      // The same normalisation as normaliseIdentity in verify/identity.ts, without its name check.
      const id = q.idNumber.trim().toUpperCase();
      if (!/^[0-9A-Z]{6,32}$/.test(id)) badField('idNumber', 'must be 6–32 letters or digits');
      filter.identityDigest = deps.keyring.digest(IDENTITY_PURPOSE, id);
    }
    if (q.identityDigest && !q.idNumber) {
      if (!/^[A-Za-z0-9_-]{16,128}$/.test(q.identityDigest)) badField('identityDigest', 'not a digest');
      filter.identityDigest = q.identityDigest;
    }
    if (q.cursor) filter.after = decodeCursor(q.cursor);
    return filter;
  }

  return {
    filterOf,
    /** The masked identity of a row (name, ID number), null when the session has none. */
    masked,
    /** The keyed digest an ID number is searched by (normalised as the search does). */
    identityDigest(idNumber: string): string {
      return deps.keyring.digest(IDENTITY_PURPOSE, idNumber.trim().toUpperCase());
    },

    async search(q: RecordQuery): Promise<{ records: RecordSummary[]; nextCursor: string | null }> {
      const t = now();
      const filter = await filterOf(q, t);
      if (!filter) return { records: [], nextCursor: null };
      const rows = await deps.repos.records.search(filter);
      const records = rows.map((row): RecordSummary => {
        const r = row.result as { passed?: boolean; code?: string; score?: number; threshold?: number } | null;
        return {
          token: row.token,
          sessionId: row.id,
          app: { id: row.app_id, name: row.app_name },
          plan: { id: row.plan_id, name: row.plan_name },
          status: effectiveStatus(row, t),
          outerOrderNo: row.outer_order_no,
          createdAt: new Date(row.created_at).toISOString(),
          finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
          identity: masked(row),
          result:
            r && typeof r.code === 'string'
              ? { passed: r.passed === true, code: r.code, score: r.score ?? null, threshold: r.threshold ?? null }
              : null,
          preview: row.preview,
        };
      });
      const last = rows.at(-1);
      return { records, nextCursor: last && rows.length === filter.limit ? encodeCursor(last) : null };
    },

    async detail(token: string): Promise<RecordDetail> {
      const row = await byToken(token);
      const [view, app, plan, attempts] = await Promise.all([
        deps.sessions.get(row.app_id, token),
        deps.repos.apps.findById(row.app_id),
        deps.repos.plans.findById(row.plan_id),
        deps.repos.attempts.listBySession(row.id),
      ]);
      return {
        ...view,
        app: { id: row.app_id, name: app?.name ?? row.app_id },
        plan: {
          id: row.plan_id,
          name: plan?.name ?? String(row.plan_id),
          livenessMode: plan?.liveness_mode ?? 'none',
          compareSource: plan?.compare_source ?? 'none',
          thresholdScore: plan?.threshold_score ?? 0,
        },
        analysis: attempts.map((a) => ({ order: a.order, details: a.details ?? null })),
        preview: row.preview,
        device: row.device_digest
          ? { digest: row.device_digest, prefix: row.device_digest.slice(0, DEVICE_PREFIX_LENGTH) }
          : null,
      };
    },

    async image(token: string, kind: 'best' | 'env'): Promise<Buffer> {
      const row = await byToken(token);
      return deps.sessions.image(row.app_id, token, kind);
    },

    /** Real deletion (rows and images), audited by the session service with the console actor. */
    async delete(token: string, actor: string): Promise<{ sessionId: string }> {
      const row = await byToken(token);
      await deps.sessions.delete(row.app_id, token, actor);
      return { sessionId: row.id };
    },
  };
}
export type RecordService = ReturnType<typeof createRecordService>;
