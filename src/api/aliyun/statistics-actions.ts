/**
 * Cloudauth (2019-03-07) statistics Actions, DescribePageFaceVerifyData and DescribeSmartStatisticsPageList, from the
 * same counts as the console statistics (src/verify/statistics.ts): one item per day and scene (plan) with sessions,
 * TotalCount = sessions created that day, SuccessCount = those that passed. Scope: the caller's app (the access key's
 * app), optionally one SceneId of that app. Days are local days of the time zone of StartDate (+08:00 when StartDate
 * is a bare date, as Cloudauth's console counts). Items are newest day first, then by SceneId, paged by
 * CurrentPage / PageSize. ProductCode / ServiceCode are accepted but do not filter: Shiren keeps no product code per
 * session, so items carry none (docs/aliyun.md).
 */
import type { Principal } from '../../auth/access-keys.js';
import type { PlanService, PlanView } from '../../verify/plans.js';
import type { StatisticsService } from '../../verify/statistics.js';
import { empty, invalid, positive, type Params } from './params.js';

interface Ctx {
  params: Params;
  principal: Principal;
}
type Action = (ctx: Ctx) => Promise<Record<string, unknown>>;

export interface StatisticsActionDeps {
  /** The console statistics; absent: these Actions are not served. */
  statistics?: Pick<StatisticsService, 'get'>;
  plans: Pick<PlanService, 'get' | 'list'>;
}

const MAX_PAGE_SIZE = 100;
const MAX_DAYS = 366;
const DAY_MS = 86400_000;

interface WireTime {
  at: Date;
  /** Offset from UTC in minutes. */
  offset: number;
  /** A bare date (no time of day). */
  dateOnly: boolean;
}

const DATE_ONLY = /^(\d{4})-(\d\d)-(\d\d)$/;
/** "2023-11-01 00:00:00 +0800" (the SDK's example) or ISO 8601 with Z / ±HH:MM ("2024-03-24T00:00:00.000Z"). */
const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d{1,3})? ?(Z|[+-]\d\d:?\d\d)$/;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** A wire date; undefined when it is not one of the accepted forms or not a real calendar date. */
export function parseWireTime(v: string): WireTime | undefined {
  const s = v.trim();
  let m = DATE_ONLY.exec(s);
  let offset = 8 * 60;
  let iso: string;
  if (m) {
    iso = `${m[1]}-${m[2]}-${m[3]}T00:00:00+08:00`;
  } else {
    m = DATE_TIME.exec(s);
    if (!m) return undefined;
    const z = m[8]!;
    if (z === 'Z') offset = 0;
    else {
      const digits = z.replace(':', '');
      offset = (z[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
    }
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset);
    iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return undefined;
  // Date accepts 2023-02-30 (rolling over): the local calendar date must survive the round trip.
  const local = new Date(at.getTime() + offset * 60_000);
  if (
    local.getUTCFullYear() !== Number(m[1]) ||
    local.getUTCMonth() + 1 !== Number(m[2]) ||
    local.getUTCDate() !== Number(m[3])
  )
    return undefined;
  return { at, offset, dateOnly: s === `${m[1]}-${m[2]}-${m[3]}` };
}

/** The IANA zone of a whole-hour offset (Etc/GMT signs are inverted: +08:00 is Etc/GMT-8). */
function zoneOf(offsetMinutes: number): string | undefined {
  if (offsetMinutes % 60 !== 0) return undefined;
  const h = offsetMinutes / 60;
  if (h === 0) return 'UTC';
  return h > 0 ? `Etc/GMT-${h}` : `Etc/GMT+${-h}`;
}

interface Item {
  date: string;
  plan: PlanView;
  total: number;
  passed: number;
}

interface Page {
  currentPage: number;
  pageSize: number;
  totalCount: number;
  totalPage: number;
  items: Item[];
}

async function page(deps: Required<StatisticsActionDeps>, ctx: Ctx): Promise<Page> {
  const p = ctx.params;
  if (!p.StartDate) throw empty('StartDate');
  if (!p.EndDate) throw empty('EndDate');
  const start = parseWireTime(p.StartDate);
  if (!start) throw invalid('StartDate must be YYYY-MM-DD, "YYYY-MM-DD HH:mm:ss +HHMM" or ISO 8601');
  const end = parseWireTime(p.EndDate);
  if (!end) throw invalid('EndDate must be YYYY-MM-DD, "YYYY-MM-DD HH:mm:ss +HHMM" or ISO 8601');
  const timeZone = zoneOf(start.offset);
  if (!timeZone) throw invalid('StartDate: the UTC offset must be a whole number of hours');
  // EndDate is inclusive: a bare date takes in its whole day, a time its own second / millisecond.
  const to = new Date(end.at.getTime() + (end.dateOnly ? DAY_MS : 1));
  if (to <= start.at) throw invalid('EndDate must not be before StartDate');
  if (to.getTime() - start.at.getTime() > MAX_DAYS * DAY_MS) throw invalid(`at most ${MAX_DAYS} days per query`);
  const currentPage = positive(p, 'CurrentPage', 1, 1_000_000);
  const pageSize = positive(p, 'PageSize', 10, MAX_PAGE_SIZE);

  let plans: PlanView[];
  const scene = p.SceneId;
  if (scene !== undefined && scene !== '') {
    if (!/^\d{1,15}$/.test(scene)) throw invalid('SceneId');
    // Another app's plan is not found, exactly like one that does not exist.
    plans = [await deps.plans.get(ctx.principal.appId, Number(scene))];
  } else {
    plans = await deps.plans.list(ctx.principal.appId);
  }
  const items: Item[] = [];
  for (const plan of plans) {
    const s = await deps.statistics.get({
      from: start.at.toISOString(),
      to: to.toISOString(),
      unit: 'day',
      timeZone,
      appId: ctx.principal.appId,
      planId: plan.id,
    });
    for (const b of s.buckets) {
      if (b.total > 0) items.push({ date: b.start.slice(0, 10), plan, total: b.total, passed: b.passed });
    }
  }
  items.sort((a, b) => (a.date === b.date ? a.plan.id - b.plan.id : a.date < b.date ? 1 : -1));
  const offset = (currentPage - 1) * pageSize;
  return {
    currentPage,
    pageSize,
    totalCount: items.length,
    totalPage: Math.ceil(items.length / pageSize),
    items: items.slice(offset, offset + pageSize),
  };
}

/** The Actions, keyed by name (empty when the statistics service is not wired). */
export function statisticsActions(deps: StatisticsActionDeps): Record<string, Action> {
  const statistics = deps.statistics;
  if (!statistics) return {};
  const d = { statistics, plans: deps.plans };
  return {
    /** Every count is a string in this model (the SDK declares them so). */
    async DescribePageFaceVerifyData(ctx) {
      const r = await page(d, ctx);
      return {
        Code: '200',
        Message: 'success',
        Success: 'true',
        CurrentPage: String(r.currentPage),
        PageSize: String(r.pageSize),
        TotalCount: String(r.totalCount),
        TotalPage: String(r.totalPage),
        Items: r.items.map((i) => ({
          Date: i.date,
          SceneId: String(i.plan.id),
          SceneName: i.plan.name,
          TotalCount: String(i.total),
          SuccessCount: String(i.passed),
        })),
      };
    },
    /** Numbers here; PassRate is the percentage of passed sessions (two decimals at most), as a string. */
    async DescribeSmartStatisticsPageList(ctx) {
      const r = await page(d, ctx);
      return {
        CurrentPage: r.currentPage,
        PageSize: r.pageSize,
        TotalCount: r.totalCount,
        TotalPage: r.totalPage,
        Items: r.items.map((i) => ({
          Date: i.date,
          SceneId: i.plan.id,
          SceneName: i.plan.name,
          TotalCount: i.total,
          SuccessCount: i.passed,
          PassRate: String(Math.round((i.passed / i.total) * 10000) / 100),
        })),
      };
    },
  };
}
