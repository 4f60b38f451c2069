import { sql, type Kysely } from 'kysely';
import type { AlertEventRow, AlertKind, AlertRuleRow, Database } from '../schema.js';

export interface AlertRuleValues {
  name: string;
  kind: AlertKind;
  threshold: number;
  window_minutes: number;
  min_sessions: number;
  plan_id: number | null;
  webhook_url: string | null;
  webhook_secret_enc: string | null;
  enabled: boolean;
}

/** Alert rules, their events, and the window measurements the rules are evaluated on (migration 0008). */
export function createAlertRepo(db: Kysely<Database>) {
  return {
    async insertRule(v: AlertRuleValues & { created_by: string; created_at: Date }): Promise<AlertRuleRow> {
      return db.insertInto('alert_rule').values(v).returningAll().executeTakeFirstOrThrow();
    },
    async updateRule(id: number, v: Partial<AlertRuleValues>): Promise<AlertRuleRow | undefined> {
      return db.updateTable('alert_rule').set(v).where('id', '=', id).returningAll().executeTakeFirst();
    },
    async deleteRule(id: number): Promise<boolean> {
      const r = await db.deleteFrom('alert_rule').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async findRule(id: number): Promise<AlertRuleRow | undefined> {
      return db.selectFrom('alert_rule').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** Locks the rule row until the transaction ends (one evaluator fires a rule at a time). */
    async lockRule(id: number): Promise<AlertRuleRow | undefined> {
      return db.selectFrom('alert_rule').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    },
    async listRules(): Promise<AlertRuleRow[]> {
      return db.selectFrom('alert_rule').selectAll().orderBy('id').execute();
    },
    async lastEvent(ruleId: number): Promise<AlertEventRow | undefined> {
      return db
        .selectFrom('alert_event')
        .selectAll()
        .where('rule_id', '=', ruleId)
        .orderBy('fired_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
    },
    async insertEvent(e: { ruleId: number; firedAt: Date; value: number; details: object }): Promise<AlertEventRow> {
      return db
        .insertInto('alert_event')
        .values({
          rule_id: e.ruleId,
          fired_at: e.firedAt,
          value: e.value,
          details: JSON.stringify(e.details),
          delivered_at: null,
          delivery_error: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    async recordDelivery(
      id: number,
      d: { deliveredAt: Date | null; error: string | null; attempts: number; nextDeliveryAt: Date | null },
    ): Promise<void> {
      await db
        .updateTable('alert_event')
        .set({
          delivered_at: d.deliveredAt,
          delivery_error: d.error,
          delivery_attempts: d.attempts,
          next_delivery_at: d.nextDeliveryAt,
        })
        .where('id', '=', id)
        .execute();
    },
    /** Events whose webhook retry is due at `at`, oldest first. */
    async dueDeliveries(at: Date, limit: number): Promise<AlertEventRow[]> {
      return db
        .selectFrom('alert_event')
        .selectAll()
        .where('next_delivery_at', '<=', at)
        .orderBy('next_delivery_at')
        .limit(limit)
        .execute();
    },
    /**
     * Takes a due retry for this process: clears next_delivery_at only if it still holds the value read, so of several
     * processes exactly one sends it. False: another process took it.
     */
    async claimDelivery(id: number, due: Date): Promise<boolean> {
      const r = await db
        .updateTable('alert_event')
        .set({ next_delivery_at: null })
        .where('id', '=', id)
        .where('next_delivery_at', '=', due)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    /** Newest first; `beforeId` pages; optionally one rule's. */
    async listEvents(f: { ruleId?: number; beforeId?: number; limit: number }): Promise<AlertEventRow[]> {
      let q = db.selectFrom('alert_event').selectAll();
      if (f.ruleId !== undefined) q = q.where('rule_id', '=', f.ruleId);
      if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
      return q.orderBy('id', 'desc').limit(f.limit).execute();
    },

    /** Sessions that reached passed or failed in [since, until), optionally of one plan. */
    async finishedSessions(
      since: Date,
      until: Date,
      planId: number | null,
    ): Promise<{ finished: number; passed: number }> {
      let q = db
        .selectFrom('verify_session')
        .select([
          sql<string>`count(*)`.as('finished'),
          sql<string>`count(*) filter (where status = 'passed')`.as('passed'),
        ])
        .where('status', 'in', ['passed', 'failed'])
        .where('preview', '=', false)
        .where('finished_at', '>=', since)
        .where('finished_at', '<', until);
      if (planId !== null) q = q.where('plan_id', '=', planId);
      const r = await q.executeTakeFirstOrThrow();
      return { finished: Number(r.finished), passed: Number(r.passed) };
    },
    /** Sessions created in [since, until). */
    async createdSessions(since: Date, until: Date, planId: number | null): Promise<number> {
      let q = db
        .selectFrom('verify_session')
        .select(sql<string>`count(*)`.as('n'))
        .where('preview', '=', false)
        .where('created_at', '>=', since)
        .where('created_at', '<', until);
      if (planId !== null) q = q.where('plan_id', '=', planId);
      return Number((await q.executeTakeFirstOrThrow()).n);
    },
    /** Failed attempts per client address digest in [since, until) with more than `above`, most first. */
    async ipFailures(
      since: Date,
      until: Date,
      planId: number | null,
      above: number,
      limit: number,
    ): Promise<{ digest: string; failures: number }[]> {
      let q = db
        .selectFrom('verify_attempt as a')
        .innerJoin('verify_session as s', 's.id', 'a.session_id')
        .select(['a.client_ip_digest as digest', sql<string>`count(*)`.as('failures')])
        .where('a.passed', '=', false)
        .where('a.client_ip_digest', 'is not', null)
        .where('s.preview', '=', false)
        .where('a.finished_at', '>=', since)
        .where('a.finished_at', '<', until);
      if (planId !== null) q = q.where('s.plan_id', '=', planId);
      const rows = await q
        .groupBy('a.client_ip_digest')
        .having(sql`count(*)`, '>', above)
        .orderBy(sql`count(*)`, 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ digest: r.digest!, failures: Number(r.failures) }));
    },
  };
}
export type AlertRepo = ReturnType<typeof createAlertRepo>;
