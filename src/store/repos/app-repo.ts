import type { Kysely } from 'kysely';
import type { AppRow, Database } from '../schema.js';

export function createAppRepo(db: Kysely<Database>) {
  return {
    async insert(app: { id: string; name: string }): Promise<AppRow> {
      return db.insertInto('app').values(app).returningAll().executeTakeFirstOrThrow();
    },
    async findByName(name: string): Promise<AppRow | undefined> {
      return db.selectFrom('app').selectAll().where('name', '=', name).executeTakeFirst();
    },
    async findById(id: string): Promise<AppRow | undefined> {
      return db.selectFrom('app').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async setRateLimit(id: string, perMinute: number | null, burst: number | null): Promise<AppRow | undefined> {
      return db
        .updateTable('app')
        .set({ rate_limit_per_minute: perMinute, rate_limit_burst: burst })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
    async list(): Promise<AppRow[]> {
      return db.selectFrom('app').selectAll().orderBy('created_at').orderBy('id').execute();
    },
  };
}
export type AppRepo = ReturnType<typeof createAppRepo>;
