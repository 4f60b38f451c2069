/**
 * Verification statistics for the console: sessions per hour or day (in the operator's time zone) by outcome, and
 * result codes, over a time window, optionally for one app or plan. Counted in the database (one grouped scan of the
 * window, on the created_at index), never by loading rows.
 */
import { ShirenError } from '../errors.js';
import type { Repos } from '../store/repos/index.js';
import type { StatisticsBucket, StatisticsFilter } from '../store/repos/record-repo.js';

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

export interface Statistics {
  from: string;
  to: string;
  unit: 'hour' | 'day';
  timeZone: string;
  totals: Omit<StatisticsBucket, 'start'>;
  buckets: StatisticsBucket[];
  codes: { code: string; count: number }[];
}

const MAX_BUCKETS = { hour: 24 * 31, day: 400 } as const;
const UNIT_MS = { hour: 3600_000, day: 86400_000 } as const;

function bad(field: string, message: string): never {
  throw new ShirenError('invalid_request', `${field}: ${message}`, { details: { field } });
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

export function createStatisticsService(deps: { repos: Pick<Repos, 'records' | 'apps'>; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return {
    async get(q: StatisticsQuery): Promise<Statistics> {
      const t = now();
      const unit = q.unit ?? 'day';
      const to = q.to ? new Date(q.to) : t;
      if (Number.isNaN(to.getTime())) bad('to', 'must be an ISO 8601 time');
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - (unit === 'day' ? 30 : 1) * 86400_000);
      if (Number.isNaN(from.getTime())) bad('from', 'must be an ISO 8601 time');
      if (from >= to) bad('to', 'must be after from');
      if ((to.getTime() - from.getTime()) / UNIT_MS[unit] > MAX_BUCKETS[unit])
        bad('from', `at most ${MAX_BUCKETS[unit]} ${unit}s per query`);
      const timeZone = q.timeZone ?? 'UTC';
      if (!validTimeZone(timeZone)) bad('timeZone', 'must be an IANA time zone such as Asia/Shanghai');
      const filter: StatisticsFilter = { from, to, unit, timeZone, now: t };
      if (q.planId !== undefined) filter.planId = q.planId;
      const empty = { total: 0, passed: 0, failed: 0, expired: 0, open: 0 };
      const answer = (buckets: StatisticsBucket[], codes: Statistics['codes']): Statistics => ({
        from: from.toISOString(),
        to: to.toISOString(),
        unit,
        timeZone,
        totals: buckets.reduce(
          (s, b) => ({
            total: s.total + b.total,
            passed: s.passed + b.passed,
            failed: s.failed + b.failed,
            expired: s.expired + b.expired,
            open: s.open + b.open,
          }),
          empty,
        ),
        buckets,
        codes,
      });
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
  };
}
export type StatisticsService = ReturnType<typeof createStatisticsService>;
