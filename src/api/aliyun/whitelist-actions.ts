/**
 * Cloudauth (2019-03-07) whitelist settings: InsertWhiteListSetting, PageQueryWhiteListSetting and
 * RemoveWhiteListSetting, translated into the whitelist service (src/verify/whitelist.ts) that the console uses too.
 * Scope: the caller's app (the access key's app); SceneId is the plan id, as in every Action. A whitelisted ID number
 * still completes the live capture in Shiren (Alibaba Cloud passes it by default): only a failed face comparison is
 * overridden (docs/aliyun.md). ServiceCode is accepted and not used (Shiren has one service).
 */
import type { Principal } from '../../auth/access-keys.js';
import { isShirenError } from '../../errors.js';
import type { WhitelistEntryView, WhitelistService } from '../../verify/whitelist.js';
import { AliyunResultError, RESULT_MESSAGES } from './errors.js';
import { empty, given, invalid, positive, type Params } from './params.js';
import { parseWireTime } from './statistics-actions.js';

interface Ctx {
  params: Params;
  principal: Principal;
}
type Action = (ctx: Ctx) => Promise<Record<string, unknown>>;

export interface WhitelistActionDeps {
  /** The whitelist service; absent: these Actions are not served. */
  whitelist?: Pick<WhitelistService, 'add' | 'list' | 'removeMany'>;
}

const MAX_PAGE_SIZE = 100;
const MAX_IDS = 100;
const BEIJING_MS = 8 * 3600_000;

function sceneId(p: Params, required: boolean): number | undefined {
  const raw = p.SceneId;
  if (!given(raw)) {
    if (required) throw empty('SceneId');
    return undefined;
  }
  if (!/^\d{1,15}$/.test(raw)) throw invalid('SceneId');
  return Number(raw);
}

/** Epoch milliseconds (the SDK's example, "1725120000000") or a date as the statistics Actions take it. */
function wireDate(p: Params, name: string): Date | undefined {
  const raw = p[name];
  if (!given(raw)) return undefined;
  if (/^\d{10,15}$/.test(raw)) return new Date(Number(raw));
  const t = parseWireTime(raw);
  if (!t) throw invalid(`${name} must be epoch milliseconds, YYYY-MM-DD or ISO 8601`);
  return t.at;
}

/** "2024-08-30 13:57:51" in Beijing time (+08:00), as Cloudauth shows its times. */
export function beijingTime(iso: string): string {
  return new Date(new Date(iso).getTime() + BEIJING_MS).toISOString().slice(0, 19).replace('T', ' ');
}

function item(e: WhitelistEntryView) {
  return {
    Id: e.id,
    SceneId: e.planId,
    CertNo: e.masked,
    ...(e.certifyId ? { CertifyId: e.certifyId } : {}),
    Remark: e.remark,
    Status: e.active ? 'VALID' : 'INVALID',
    ValidStartDate: beijingTime(e.validFrom),
    ValidEndDate: beijingTime(e.validUntil),
    GmtCreate: beijingTime(e.createdAt),
    GmtModified: beijingTime(e.createdAt),
  };
}

/** The Actions, keyed by name (empty when the whitelist service is not wired). */
export function whitelistActions(deps: WhitelistActionDeps): Record<string, Action> {
  const whitelist = deps.whitelist;
  if (!whitelist) return {};
  return {
    async InsertWhiteListSetting(ctx) {
      const p = ctx.params;
      const planId = sceneId(p, true)!;
      if (!given(p.CertNo) && !given(p.CertifyId)) throw empty('CertNo or CertifyId');
      if (given(p.CertNo) && given(p.CertifyId))
        throw new AliyunResultError('420', `${RESULT_MESSAGES['420']}: give one of CertNo and CertifyId`);
      if (!given(p.ValidDay)) throw empty('ValidDay');
      if (!/^\d{1,4}$/.test(p.ValidDay)) throw invalid('ValidDay must be a whole number of days, 1–365');
      try {
        await whitelist.add(
          {
            planId,
            ...(given(p.CertNo) ? { idNumber: p.CertNo } : { certifyId: p.CertifyId }),
            validDays: Number(p.ValidDay),
            ...(p.Remark !== undefined ? { remark: p.Remark } : {}),
          },
          ctx.principal.accessKeyId,
          { appId: ctx.principal.appId },
        );
      } catch (err) {
        if (isShirenError(err) && err.reason === 'conflict')
          throw new AliyunResultError('420', `${RESULT_MESSAGES['420']}: ${err.message}`);
        throw err;
      }
      return { Code: '200', Message: 'success', Success: true, ResultObject: true };
    },

    async PageQueryWhiteListSetting(ctx) {
      const p = ctx.params;
      const planId = sceneId(p, false);
      const currentPage = positive(p, 'CurrentPage', 1, 1_000_000);
      const pageSize = positive(p, 'PageSize', 10, MAX_PAGE_SIZE);
      let active: boolean | undefined;
      if (given(p.Status)) {
        if (p.Status !== 'VALID' && p.Status !== 'INVALID') throw invalid('Status must be VALID or INVALID');
        active = p.Status === 'VALID';
      }
      if (given(p.CertifyId) && !/^[A-Za-z0-9]{16,64}$/.test(p.CertifyId)) throw invalid('CertifyId');
      const validFrom = wireDate(p, 'ValidStartDate');
      const validUntil = wireDate(p, 'ValidEndDate');
      const r = await whitelist.list({
        appId: ctx.principal.appId,
        limit: pageSize,
        offset: (currentPage - 1) * pageSize,
        ...(planId !== undefined ? { planId } : {}),
        ...(given(p.CertNo) ? { idNumber: p.CertNo } : {}),
        ...(given(p.CertifyId) ? { certifyId: p.CertifyId } : {}),
        ...(active !== undefined ? { active } : {}),
        ...(validFrom ? { validFrom } : {}),
        ...(validUntil ? { validUntil } : {}),
      });
      return {
        Code: '200',
        Message: 'success',
        Success: true,
        CurrentPage: currentPage,
        PageSize: pageSize,
        TotalItem: r.total,
        TotalPage: Math.ceil(r.total / pageSize),
        ResultObject: r.entries.map(item),
      };
    },

    async RemoveWhiteListSetting(ctx) {
      const raw = ctx.params.Ids;
      if (!given(raw)) throw empty('Ids');
      let ids: unknown;
      try {
        ids = JSON.parse(raw);
      } catch {
        ids = undefined;
      }
      if (
        !Array.isArray(ids) ||
        ids.length === 0 ||
        ids.length > MAX_IDS ||
        !ids.every((i) => Number.isSafeInteger(i) && (i as number) >= 1)
      )
        throw invalid(`Ids must be a JSON array of 1–${MAX_IDS} entry ids`);
      try {
        await whitelist.removeMany(ids as number[], ctx.principal.accessKeyId, ctx.principal.appId);
      } catch (err) {
        if (isShirenError(err) && err.reason === 'not_found')
          throw invalid(`Ids: ${err.message} for this app (nothing was removed)`);
        throw err;
      }
      return { Code: '200', Message: 'success', Success: true, ResultObject: true };
    },
  };
}
