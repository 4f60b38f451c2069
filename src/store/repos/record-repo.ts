import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database, SessionStatus, VerifySessionRow } from '../schema.js';

export interface RecordFilter {
  appId?: string;
  planId?: number;
  /** Effective status: `expired` includes open sessions past their expiry; `created`/`in_progress` exclude them. */
  status?: SessionStatus;
  /** The result code (result->>'code'), e.g. ok, compare_failed. */
  resultCode?: string;
  outerOrderNo?: string;
  /** Keyed digest of the ID number (identity_number_digest). */
  identityDigest?: string;
  from?: Date;
  to?: Date;
  /** Keyset cursor: rows strictly older than (createdAt, id); createdAt is the exact database text. */
  after?: { createdAt: string; id: string };
  limit: number;
  now: Date;
}

export interface RecordRow extends VerifySessionRow {
  app_name: string;
  plan_name: string;
  /** created_at with microseconds, for the keyset cursor (a JS Date keeps only milliseconds). */
  cursor_at: string;
}

export interface StatisticsFilter {
  from: Date;
  to: Date;
  unit: 'hour' | 'day';
  /** IANA time zone of the buckets, e.g. Asia/Shanghai. */
  timeZone: string;
  appId?: string;
  planId?: number;
  now: Date;
}

export interface StatisticsBucket {
  /** Local start of the bucket in the time zone, "YYYY-MM-DDTHH:MI". */
  start: string;
  total: number;
  passed: number;
  failed: number;
  expired: number;
  open: number;
}

export type BreakdownBy = 'plan' | 'app' | 'os' | 'province' | 'stage' | 'reason';

export interface BreakdownFilter {
  by: BreakdownBy;
  from: Date;
  to: Date;
  appId?: string;
  planId?: number;
  now: Date;
  /** The failure stages by result code (src/verify/dimensions.ts), turned into one CASE expression. */
  stageCodes: { liveness: readonly string[]; comparison: readonly string[]; capture: readonly string[] };
}

export interface BreakdownRow {
  /** plan id, app id, device_os, the 2-digit province code, the stage or the reason; null when absent. */
  key: string | null;
  /** by=province: whether the sessions of this row have an identity at all. */
  hasIdentity: boolean;
  /** by=plan and by=app: the name; by=plan also the app name. */
  name: string | null;
  appName: string | null;
  total: number;
  passed: number;
  failed: number;
  expired: number;
  open: number;
}

/** The WHERE clauses of a records filter, on a query over `verify_session as s` (search and count share them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySelect = SelectQueryBuilder<any, any, any>;
function filtered<Q extends AnySelect>(query: Q, f: Omit<RecordFilter, 'limit' | 'after'>): Q {
  let q: AnySelect = query;
  if (f.appId !== undefined) q = q.where('s.app_id', '=', f.appId);
  if (f.planId !== undefined) q = q.where('s.plan_id', '=', f.planId);
  if (f.outerOrderNo !== undefined) q = q.where('s.outer_order_no', '=', f.outerOrderNo);
  if (f.identityDigest !== undefined) q = q.where('s.identity_number_digest', '=', f.identityDigest);
  if (f.resultCode !== undefined) q = q.where(sql<string>`s.result->>'code'`, '=', f.resultCode);
  if (f.from !== undefined) q = q.where('s.created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('s.created_at', '<', f.to);
  if (f.status === 'expired') {
    q = q.where((eb) =>
      eb.or([
        eb('s.status', '=', 'expired'),
        eb.and([eb('s.status', 'in', ['created', 'in_progress']), eb('s.expires_at', '<=', f.now)]),
      ]),
    );
  } else if (f.status === 'created' || f.status === 'in_progress') {
    q = q.where('s.status', '=', f.status).where('s.expires_at', '>', f.now);
  } else if (f.status !== undefined) q = q.where('s.status', '=', f.status);
  return q as Q;
}

/** The console's search over verification sessions of every app, newest first, with keyset pagination. */
export function createRecordRepo(db: Kysely<Database>) {
  /** The sessions created in [from, to) of the app / plan that count as traffic (statistics and breakdowns). */
  const traffic = (f: { from: Date; to: Date; appId?: string; planId?: number }) => {
    let q = db
      .selectFrom('verify_session as s')
      .where('s.created_at', '>=', f.from)
      .where('s.created_at', '<', f.to)
      // Sessions started from the console's plan preview link are not traffic (docs/console.md "Plans").
      .where('s.preview', '=', false);
    if (f.appId !== undefined) q = q.where('s.app_id', '=', f.appId);
    if (f.planId !== undefined) q = q.where('s.plan_id', '=', f.planId);
    return q;
  };
  return {
    async search(f: RecordFilter): Promise<RecordRow[]> {
      let q = filtered(
        db
          .selectFrom('verify_session as s')
          .innerJoin('app', 'app.id', 's.app_id')
          .innerJoin('plan', 'plan.id', 's.plan_id')
          .selectAll('s')
          .select([
            'app.name as app_name',
            'plan.name as plan_name',
            sql<string>`to_char(s.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at'),
          ]),
        f,
      );
      if (f.after !== undefined) {
        const { createdAt, id } = f.after;
        q = q.where(sql<boolean>`(s.created_at, s.id) < (${createdAt}::timestamptz, ${id})`);
      }
      return q.orderBy('s.created_at', 'desc').orderBy('s.id', 'desc').limit(f.limit).execute() as Promise<RecordRow[]>;
    },

    /** How many sessions match the filter (limit and cursor ignored), for an export's progress. */
    async count(f: Omit<RecordFilter, 'limit' | 'after'>): Promise<number> {
      const row = await filtered(
        db.selectFrom('verify_session as s').select(sql<string>`count(*)`.as('n')),
        f,
      ).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * Counts per time bucket (local time of `timeZone`, an IANA name) of sessions created in [from, to): total,
     * passed, failed, expired (including open sessions past their expiry) and still open; plus counts per result code.
     */
    async statistics(
      f: StatisticsFilter,
    ): Promise<{ buckets: StatisticsBucket[]; codes: { code: string; count: number }[] }> {
      const open = sql<boolean>`x.status in ('created', 'in_progress')`;
      const base = traffic(f);
      // Truncate per row, format per bucket: the inner query keeps only what the counts need.
      const inner = base.select([
        sql<Date>`date_trunc(${f.unit}, s.created_at at time zone ${f.timeZone})`.as('b'),
        's.status as status',
        's.expires_at as expires_at',
      ]);
      const rows = await db
        .selectFrom(inner.as('x'))
        .select([
          sql<string>`to_char(x.b, 'YYYY-MM-DD"T"HH24:MI')`.as('bucket'),
          sql<string>`count(*)`.as('total'),
          sql<string>`count(*) filter (where x.status = 'passed')`.as('passed'),
          sql<string>`count(*) filter (where x.status = 'failed')`.as('failed'),
          sql<string>`count(*) filter (where x.status = 'expired' or (${open} and x.expires_at <= ${f.now}))`.as(
            'expired',
          ),
          sql<string>`count(*) filter (where ${open} and x.expires_at > ${f.now})`.as('open'),
        ])
        .groupBy('x.b')
        .orderBy('x.b')
        .execute();
      const codes = await base
        .select([sql<string>`s.result->>'code'`.as('code'), sql<string>`count(*)`.as('n')])
        .where(sql<string>`s.result->>'code'`, 'is not', null)
        .groupBy(sql`s.result->>'code'`)
        .orderBy(sql`count(*)`, 'desc')
        .execute();
      return {
        buckets: rows.map((r) => ({
          start: r.bucket,
          total: Number(r.total),
          passed: Number(r.passed),
          failed: Number(r.failed),
          expired: Number(r.expired),
          open: Number(r.open),
        })),
        codes: codes.map((c) => ({ code: c.code, count: Number(c.n) })),
      };
    },

    /**
     * Counts by outcome of the sessions created in [from, to), grouped by one dimension (docs/console.md
     * "Statistics"): one grouped scan of the window; plan and app names are joined to the groups afterwards.
     */
    async breakdown(f: BreakdownFilter): Promise<BreakdownRow[]> {
      const open = sql<boolean>`s.status in ('created', 'in_progress')`;
      const expired = sql<boolean>`(s.status = 'expired' or (${open} and s.expires_at <= ${f.now}))`;
      const code = sql<string>`s.result->>'code'`;
      const list = (codes: readonly string[]) => sql.join(codes.map((c) => sql.lit(c)));
      const keys = {
        plan: sql<string>`s.plan_id::text`,
        app: sql<string>`s.app_id`,
        os: sql<string>`s.device_os`,
        province: sql<string>`s.id_province`,
        stage: sql<string>`case
          when s.status = 'passed' then 'passed'
          when ${expired} then 'expired'
          when ${open} then 'open'
          when ${code} in (${list(f.stageCodes.liveness)}) then 'liveness'
          when ${code} in (${list(f.stageCodes.comparison)}) then 'comparison'
          when ${code} in (${list(f.stageCodes.capture)}) then 'capture'
          else 'other' end`,
        reason: sql<string>`coalesce(${code}, case when ${expired} then 'session_expired' else 'open' end)`,
      } as const;
      const q = traffic(f);
      const hasIdentity = f.by === 'province' ? sql<boolean>`s.identity_number_digest is not null` : sql<boolean>`true`;
      const rows = await q
        .select([
          keys[f.by].as('key'),
          hasIdentity.as('has_identity'),
          sql<string>`count(*)`.as('total'),
          sql<string>`count(*) filter (where s.status = 'passed')`.as('passed'),
          sql<string>`count(*) filter (where s.status = 'failed')`.as('failed'),
          sql<string>`count(*) filter (where ${expired})`.as('expired'),
          sql<string>`count(*) filter (where ${open} and s.expires_at > ${f.now})`.as('open'),
        ])
        .groupBy([sql`1`, sql`2`])
        .execute();
      const names = new Map<string, { name: string; appName: string | null }>();
      const ids = rows.map((r) => r.key).filter((k): k is string => k !== null);
      if (f.by === 'plan' && ids.length > 0) {
        const plans = await db
          .selectFrom('plan')
          .innerJoin('app', 'app.id', 'plan.app_id')
          .select(['plan.id', 'plan.name', 'app.name as app_name'])
          .where('plan.id', 'in', ids.map(Number))
          .execute();
        for (const p of plans) names.set(String(p.id), { name: p.name, appName: p.app_name });
      } else if (f.by === 'app' && ids.length > 0) {
        const apps = await db.selectFrom('app').select(['id', 'name']).where('id', 'in', ids).execute();
        for (const a of apps) names.set(a.id, { name: a.name, appName: null });
      }
      return rows.map((r) => ({
        key: r.key,
        hasIdentity: Boolean(r.has_identity),
        name: (r.key !== null && names.get(r.key)?.name) || null,
        appName: (r.key !== null && names.get(r.key)?.appName) || null,
        total: Number(r.total),
        passed: Number(r.passed),
        failed: Number(r.failed),
        expired: Number(r.expired),
        open: Number(r.open),
      }));
    },
  };
}
export type RecordRepo = ReturnType<typeof createRecordRepo>;
