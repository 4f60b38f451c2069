/**
 * Verification statistics for the console: sessions per hour or day (in the operator's time zone) by outcome, and
 * result codes, over a time window, optionally for one app or plan. Counted in the database (one grouped scan of the
 * window, on the created_at index), never by loading rows.
 */
import { invalidField } from '../errors.js';
import type { Repos } from '../store/repos/index.js';
import type { BreakdownBy, StatisticsBucket, StatisticsFilter } from '../store/repos/record-repo.js';
import { CAPTURE_CODES, COMPARISON_CODES, LIVENESS_CODES } from './dimensions.js';
import { breakdownGroups, BREAKDOWN_BY, passRate, type Breakdown } from './breakdown.js';

export interface StatisticsQuery {
  from?: string;
  to?: string;
  unit?: 'hour' | 'day';
  timeZone?: string;
  app?: string;
  /** The app by id (the Cloudauth statistics Actions: the caller's app); wins over `app`. */
  appId?: string;
  planId?: number;
}

/** passRate: per cent of the decided sessions (passed + failed) that passed, one decimal; null when none was. */
export type WithPassRate<T> = T & { passRate: number | null };

export interface Statistics {
  from: string;
  to: string;
  unit: 'hour' | 'day';
  timeZone: string;
  totals: WithPassRate<Omit<StatisticsBucket, 'start'>>;
  buckets: WithPassRate<StatisticsBucket>[];
  codes: { code: string; count: number }[];
}

export interface BreakdownQuery {
  by?: string;
  from?: string;
  to?: string;
  app?: string;
  appId?: string;
  planId?: number;
}

const MAX_BUCKETS = { hour: 24 * 31, day: 400 } as const;
const UNIT_MS = { hour: 3600_000, day: 86400_000 } as const;

function bad(field: string, message: string): never {
  throw invalidField(field, message);
}

export function validTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+/-]{0,63}$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The [from, to) window of a query: defaults, ISO 8601 times, at most MAX_BUCKETS units. */
function window(q: { from?: string; to?: string }, unit: 'hour' | 'day', t: Date): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : t;
  if (Number.isNaN(to.getTime())) bad('to', 'must be an ISO 8601 time');
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - (unit === 'day' ? 30 : 1) * 86400_000);
  if (Number.isNaN(from.getTime())) bad('from', 'must be an ISO 8601 time');
  if (from >= to) bad('to', 'must be after from');
  if ((to.getTime() - from.getTime()) / UNIT_MS[unit] > MAX_BUCKETS[unit])
    bad('from', `at most ${MAX_BUCKETS[unit]} ${unit}s per query`);
  return { from, to };
}

export function createStatisticsService(deps: { repos: Pick<Repos, 'records' | 'apps'>; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return {
    async get(q: StatisticsQuery): Promise<Statistics> {
      const t = now();
      const unit = q.unit ?? 'day';
      const { from, to } = window(q, unit, t);
      const timeZone = q.timeZone ?? 'UTC';
      if (!validTimeZone(timeZone)) bad('timeZone', 'must be an IANA time zone such as Asia/Shanghai');
      const filter: StatisticsFilter = { from, to, unit, timeZone, now: t };
      if (q.planId !== undefined) filter.planId = q.planId;
      const empty = { total: 0, passed: 0, failed: 0, expired: 0, open: 0 };
      const answer = (buckets: StatisticsBucket[], codes: Statistics['codes']): Statistics => {
        const totals = buckets.reduce(
          (s, b) => ({
            total: s.total + b.total,
            passed: s.passed + b.passed,
            failed: s.failed + b.failed,
            expired: s.expired + b.expired,
            open: s.open + b.open,
          }),
          empty,
        );
        return {
          from: from.toISOString(),
          to: to.toISOString(),
          unit,
          timeZone,
          totals: { ...totals, passRate: passRate(totals) },
          buckets: buckets.map((b) => ({ ...b, passRate: passRate(b) })),
          codes,
        };
      };
      if (q.appId !== undefined) {
        filter.appId = q.appId;
      } else if (q.app) {
        const app = await deps.repos.apps.findByName(q.app);
        if (!app) return answer([], []);
        filter.appId = app.id;
      }
      const { buckets, codes } = await deps.repos.records.statistics(filter);
      return answer(buckets, codes);
    },

    /** Sessions of a window grouped by plan, app, device OS, province, failure stage or result code. */
    async breakdown(q: BreakdownQuery): Promise<Breakdown> {
      const t = now();
      if (q.by === undefined || !(BREAKDOWN_BY as readonly string[]).includes(q.by))
        bad('by', `must be one of ${BREAKDOWN_BY.join(', ')}`);
      const by = q.by as BreakdownBy;
      const { from, to } = window(q, 'day', t);
      const head = { by, from: from.toISOString(), to: to.toISOString() };
      let appId = q.appId;
      if (appId === undefined && q.app) {
        const app = await deps.repos.apps.findByName(q.app);
        if (!app) return breakdownGroups(head, []);
        appId = app.id;
      }
      const rows = await deps.repos.records.breakdown({
        by,
        from,
        to,
        now: t,
        ...(appId !== undefined ? { appId } : {}),
        ...(q.planId !== undefined ? { planId: q.planId } : {}),
        stageCodes: { liveness: LIVENESS_CODES, comparison: COMPARISON_CODES, capture: CAPTURE_CODES },
      });
      return breakdownGroups(head, rows);
    },
  };
}
export type StatisticsService = ReturnType<typeof createStatisticsService>;
