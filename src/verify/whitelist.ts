/**
 * Whitelist settings (docs/console.md, "Whitelist"; Cloudauth InsertWhiteListSetting, PageQueryWhiteListSetting,
 * RemoveWhiteListSetting in docs/aliyun.md): an ID number on one plan (scene) whose failed face comparison does not
 * fail the session while the entry is valid (created + validDays days). The person still completes the live capture:
 * a liveness failure fails as always, and a session that passes this way is recorded with code `whitelisted` and
 * `result.whitelisted: true` (src/verify/sessions.ts). An entry keeps only the keyed digest of the number (keyring
 * purpose "identity", as the sessions store it) and a masked value; the raw number is never stored, logged or audited.
 * Adding and removing are audited; removing deletes the row.
 */
import { ShirenError, invalidField } from '../errors.js';
import type { AuditRepo } from '../store/repos/audit-repo.js';
import type { PlanRepo } from '../store/repos/plan-repo.js';
import type { SessionRepo } from '../store/repos/session-repo.js';
import type { WhitelistFilter, WhitelistRepo } from '../store/repos/whitelist-repo.js';
import type { Keyring } from '../store/secret-box.js';
import type { WhitelistEntryRow } from '../store/schema.js';
import { maskIdNumber, normaliseIdentity } from './identity.js';
import { IDENTITY_PURPOSE } from './sessions.js';

const DAY_MS = 86400_000;
export const MAX_VALID_DAYS = 365;
export const MAX_REMARK = 500;

/** An ID number normalised and checked like a session identity, with its masked display value. */
function normaliseIdNumber(v: unknown): { value: string; masked: string } {
  const { idNumber } = normaliseIdentity({ name: '-', idNumber: v });
  return { value: idNumber, masked: maskIdNumber(idNumber) };
}

export interface WhitelistInput {
  planId?: unknown;
  /** The ID number (exactly one of idNumber and certifyId). */
  idNumber?: unknown;
  /** A session token (CertifyId) of the plan's app whose identity is whitelisted. */
  certifyId?: unknown;
  validDays?: unknown;
  remark?: unknown;
}

export interface WhitelistEntryView {
  id: number;
  appId: string;
  planId: number;
  masked: string;
  certifyId: string | null;
  remark: string;
  validDays: number;
  createdBy: string;
  createdAt: string;
  validFrom: string;
  validUntil: string;
  active: boolean;
}

export interface WhitelistQuery {
  appId?: string;
  planId?: number;
  idNumber?: string;
  certifyId?: string;
  /** true: only valid entries; false: only expired ones. */
  active?: boolean;
  validFrom?: Date;
  validUntil?: Date;
  limit: number;
  offset?: number;
}

function view(r: WhitelistEntryRow, at: Date): WhitelistEntryView {
  const created = new Date(r.created_at).toISOString();
  const until = new Date(r.valid_until);
  return {
    id: r.id,
    appId: r.app_id,
    planId: r.plan_id,
    masked: r.masked,
    certifyId: r.certify_id,
    remark: r.remark,
    validDays: r.valid_days,
    createdBy: r.created_by,
    createdAt: created,
    validFrom: created,
    validUntil: until.toISOString(),
    active: until.getTime() > at.getTime(),
  };
}

export function createWhitelistService(deps: {
  whitelist: WhitelistRepo;
  plans: Pick<PlanRepo, 'findById'>;
  sessions: Pick<SessionRepo, 'findByToken'>;
  audit: AuditRepo;
  keyring: Keyring;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const identityBox = deps.keyring.box(IDENTITY_PURPOSE);
  const digestOf = (idNumber: string) => deps.keyring.digest(IDENTITY_PURPOSE, idNumber);

  /** The filter of a query; an ID number is normalised and looked up by its digest. */
  function filterOf(q: Omit<WhitelistQuery, 'limit' | 'offset'>, at: Date): WhitelistFilter {
    return {
      ...(q.appId !== undefined ? { appId: q.appId } : {}),
      ...(q.planId !== undefined ? { planId: q.planId } : {}),
      ...(q.idNumber !== undefined ? { digest: digestOf(normaliseIdNumber(q.idNumber).value) } : {}),
      ...(q.certifyId !== undefined ? { certifyId: q.certifyId } : {}),
      ...(q.active !== undefined ? { status: { valid: q.active, at } } : {}),
      ...(q.validFrom ? { validFrom: q.validFrom } : {}),
      ...(q.validUntil ? { validUntil: q.validUntil } : {}),
    };
  }

  async function removeRows(ids: number[], actor: string, appId?: string): Promise<WhitelistEntryRow[]> {
    const rows = await deps.whitelist.delete(ids, appId);
    for (const row of rows)
      await deps.audit.record({
        actor,
        action: 'whitelist.remove',
        target: String(row.id),
        details: { appId: row.app_id, planId: row.plan_id, masked: row.masked },
      });
    return rows;
  }

  return {
    /** The session engine's port (SessionServiceDeps.whitelist). */
    isWhitelisted: (appId: string, planId: number, digest: string, at: Date) =>
      deps.whitelist.isListed(appId, planId, digest, at),

    /** Entries newest first, with the total count of the filter (for pages). */
    async list(q: WhitelistQuery): Promise<{ entries: WhitelistEntryView[]; total: number }> {
      const t = now();
      const f = filterOf(q, t);
      const [rows, total] = await Promise.all([
        deps.whitelist.list({ ...f, limit: q.limit, offset: q.offset ?? 0 }),
        deps.whitelist.count(f),
      ]);
      return { entries: rows.map((r) => view(r, t)), total };
    },

    /**
     * Adds an entry. With `scope.appId` (a protocol caller), the plan and the session must be that app's; without it
     * (the console), the session must belong to the plan's app. 409 conflict when a valid entry of the plan already
     * lists the number.
     */
    async add(input: WhitelistInput, actor: string, scope: { appId?: string } = {}): Promise<WhitelistEntryView> {
      const t = now();
      const planId = input.planId;
      if (typeof planId !== 'number' || !Number.isSafeInteger(planId) || planId < 1)
        throw invalidField('planId', 'must be a plan id');
      const plan = await deps.plans.findById(planId);
      if (!plan || (scope.appId !== undefined && plan.app_id !== scope.appId)) {
        if (scope.appId !== undefined) throw new ShirenError('not_found', `no plan ${planId}`);
        throw invalidField('planId', `no plan ${planId}`);
      }
      const given = (v: unknown) => v !== undefined && v !== null && v !== '';
      if (given(input.idNumber) === given(input.certifyId))
        throw invalidField('idNumber', 'give exactly one of idNumber and certifyId');
      let digest: string;
      let masked: string;
      let certifyId: string | null = null;
      if (given(input.idNumber)) {
        const n = normaliseIdNumber(input.idNumber);
        digest = digestOf(n.value);
        masked = n.masked;
      } else {
        const token = input.certifyId;
        if (typeof token !== 'string' || !/^[A-Za-z0-9]{16,64}$/.test(token))
          throw invalidField('certifyId', 'must be a CertifyId (session token)');
        const session = await deps.sessions.findByToken(token);
        if (!session || session.app_id !== plan.app_id)
          throw invalidField('certifyId', "no verification session of the plan's app with this CertifyId");
        if (!session.identity_number_enc || !session.identity_number_digest)
          throw invalidField('certifyId', 'the session has no ID number');
        digest = session.identity_number_digest;
        masked = maskIdNumber(identityBox.decryptString(session.identity_number_enc));
        certifyId = token;
      }
      const days = input.validDays;
      if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_VALID_DAYS)
        throw invalidField('validDays', `must be a whole number of days, 1–${MAX_VALID_DAYS}`);
      if (input.remark !== undefined && input.remark !== null && typeof input.remark !== 'string')
        throw invalidField('remark', `at most ${MAX_REMARK} characters`);
      const remark = typeof input.remark === 'string' ? input.remark.trim() : '';
      if ([...remark].length > MAX_REMARK || /\p{Cc}/u.test(remark))
        throw invalidField('remark', `at most ${MAX_REMARK} characters, no control characters`);
      const existing = await deps.whitelist.list({ planId, digest, status: { valid: true, at: t }, limit: 1 });
      if (existing[0])
        throw new ShirenError(
          'conflict',
          `this ID number is already whitelisted on plan ${planId} (entry ${existing[0].id})`,
          {
            details: { existingId: existing[0].id },
          },
        );
      const row = await deps.whitelist.insert({
        app_id: plan.app_id,
        plan_id: planId,
        digest,
        masked,
        certify_id: certifyId,
        remark,
        valid_days: days,
        created_by: actor,
        created_at: t,
        valid_until: new Date(t.getTime() + days * DAY_MS),
      });
      await deps.audit.record({
        actor,
        action: 'whitelist.add',
        target: String(row.id),
        details: {
          appId: row.app_id,
          planId,
          masked,
          from: certifyId ? 'certifyId' : 'idNumber',
          validDays: days,
          validUntil: new Date(row.valid_until).toISOString(),
        },
      });
      return view(row, t);
    },

    /** Removes one entry (the console: any app). */
    async remove(id: number, actor: string): Promise<void> {
      const rows = await removeRows([id], actor);
      if (rows.length === 0) throw new ShirenError('not_found', `no whitelist entry ${id}`);
    },

    /**
     * Removes several entries of one app (Cloudauth RemoveWhiteListSetting): nothing is removed and not_found names
     * the ids when any of them is not an entry of the app.
     */
    async removeMany(ids: number[], actor: string, appId: string): Promise<number[]> {
      const unique = [...new Set(ids)];
      const missing: number[] = [];
      for (const id of unique) {
        const row = await deps.whitelist.findById(id);
        if (!row || row.app_id !== appId) missing.push(id);
      }
      if (missing.length)
        throw new ShirenError('not_found', `no whitelist entry ${missing.join(', ')}`, { details: { ids: missing } });
      return (await removeRows(unique, actor, appId)).map((r) => r.id);
    },
  };
}
export type WhitelistService = ReturnType<typeof createWhitelistService>;
