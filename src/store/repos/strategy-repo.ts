import type { Kysely } from 'kysely';
import type { ControlStrategyRow, Database, StrategyDimension } from '../schema.js';

/** The scope a limit counts in: a plan, an app, or (both null) every app. */
export interface StrategyScope {
  appId: string | null;
  planId: number | null;
}

/**
 * Attempt limits (migration 0011, src/verify/strategies.ts) and the two counts they need. Each count asks for the
 * n-th most recent event of one digest inside the window, newest first, so it reads at most n index entries of
 * verify_session_identity_time_idx / verify_attempt_device_failed_idx / verify_attempt_ip_idx.
 */
export function createStrategyRepo(db: Kysely<Database>) {
  return {
    async insert(v: {
      app_id: string | null;
      plan_id: number | null;
      dimension: StrategyDimension;
      max_count: number;
      window_minutes: number;
      enabled: boolean;
      created_by: string;
      created_at: Date;
      updated_at: Date;
    }): Promise<ControlStrategyRow> {
      return db.insertInto('control_strategy').values(v).returningAll().executeTakeFirstOrThrow();
    },
    async findById(id: number): Promise<ControlStrategyRow | undefined> {
      return db.selectFrom('control_strategy').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async update(
      id: number,
      patch: Partial<
        Pick<ControlStrategyRow, 'app_id' | 'plan_id' | 'dimension' | 'max_count' | 'window_minutes' | 'enabled'>
      > & { updated_at: Date },
    ): Promise<ControlStrategyRow | undefined> {
      return db.updateTable('control_strategy').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
    },
    async delete(id: number): Promise<ControlStrategyRow | undefined> {
      return db.deleteFrom('control_strategy').where('id', '=', id).returningAll().executeTakeFirst();
    },
    async list(): Promise<ControlStrategyRow[]> {
      return db.selectFrom('control_strategy').selectAll().orderBy('id').execute();
    },
    /** Enabled limits of a dimension that cover a session of this app and plan. */
    async applicable(dimension: StrategyDimension, appId: string, planId: number): Promise<ControlStrategyRow[]> {
      return db
        .selectFrom('control_strategy')
        .selectAll()
        .where('dimension', '=', dimension)
        .where('enabled', '=', true)
        .where((eb) => eb.or([eb('app_id', 'is', null), eb('app_id', '=', appId)]))
        .where((eb) => eb.or([eb('plan_id', 'is', null), eb('plan_id', '=', planId)]))
        .orderBy('id')
        .execute();
    },
    /**
     * Creation time of the n-th most recent session carrying this ID-number digest created after `since` in the
     * scope (not counting `excludeSessionId`); undefined when there are fewer than n.
     */
    async nthRecentIdentitySession(f: {
      digest: string;
      since: Date;
      scope: StrategyScope;
      n: number;
      excludeSessionId?: string;
    }): Promise<Date | undefined> {
      let q = db
        .selectFrom('verify_session')
        .select('created_at')
        .where('identity_number_digest', '=', f.digest)
        .where('created_at', '>', f.since);
      if (f.scope.planId !== null) q = q.where('plan_id', '=', f.scope.planId);
      else if (f.scope.appId !== null) q = q.where('app_id', '=', f.scope.appId);
      if (f.excludeSessionId !== undefined) q = q.where('id', '<>', f.excludeSessionId);
      const row = await q
        .orderBy('created_at', 'desc')
        .offset(f.n - 1)
        .limit(1)
        .executeTakeFirst();
      return row ? new Date(row.created_at) : undefined;
    },
    /**
     * Finish time of the n-th most recent failed attempt from this device or address digest after `since` in the
     * scope; undefined when there are fewer than n.
     */
    async nthRecentFailure(f: {
      column: 'device_digest' | 'client_ip_digest';
      digest: string;
      since: Date;
      scope: StrategyScope;
      n: number;
    }): Promise<Date | undefined> {
      let q = db
        .selectFrom('verify_attempt as a')
        .innerJoin('verify_session as s', 's.id', 'a.session_id')
        .select('a.finished_at')
        .where(`a.${f.column}`, '=', f.digest)
        .where('a.passed', '=', false)
        .where('a.finished_at', '>', f.since);
      if (f.scope.planId !== null) q = q.where('s.plan_id', '=', f.scope.planId);
      else if (f.scope.appId !== null) q = q.where('s.app_id', '=', f.scope.appId);
      const row = await q
        .orderBy('a.finished_at', 'desc')
        .offset(f.n - 1)
        .limit(1)
        .executeTakeFirst();
      return row ? new Date(row.finished_at) : undefined;
    },
  };
}
export type StrategyRepo = ReturnType<typeof createStrategyRepo>;
