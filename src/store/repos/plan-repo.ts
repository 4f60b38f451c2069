import type { Kysely } from 'kysely';
import type { Database, NewPlan, PlanRow, PlanUpdate } from '../schema.js';

/** Verification plans: the settings every session of a plan follows. */
export function createPlanRepo(db: Kysely<Database>) {
  return {
    async insert(plan: NewPlan): Promise<PlanRow> {
      return db.insertInto('plan').values(plan).returningAll().executeTakeFirstOrThrow();
    },
    async findById(id: number): Promise<PlanRow | undefined> {
      return db.selectFrom('plan').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async findByName(appId: string, name: string): Promise<PlanRow | undefined> {
      return db
        .selectFrom('plan')
        .selectAll()
        .where('app_id', '=', appId)
        .where('name', '=', name)
        .orderBy('id')
        .executeTakeFirst();
    },
    async listByApp(appId: string): Promise<PlanRow[]> {
      return db.selectFrom('plan').selectAll().where('app_id', '=', appId).orderBy('id').execute();
    },
    async listAll(): Promise<PlanRow[]> {
      return db.selectFrom('plan').selectAll().orderBy('id').execute();
    },
    async update(id: number, patch: PlanUpdate): Promise<PlanRow | undefined> {
      return db.updateTable('plan').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
    },
  };
}
export type PlanRepo = ReturnType<typeof createPlanRepo>;
