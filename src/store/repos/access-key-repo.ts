import type { Kysely } from 'kysely';
import type { AccessKeyRow, Database, NewAccessKey } from '../schema.js';

export interface AccessKeyWithApp extends AccessKeyRow {
  app_name: string;
  app_disabled_at: Date | null;
  app_rate_limit_per_minute: number | null;
  app_rate_limit_burst: number | null;
}

export function createAccessKeyRepo(db: Kysely<Database>) {
  const withApp = () =>
    db.selectFrom('access_key').innerJoin('app', 'app.id', 'access_key.app_id').selectAll('access_key').select([
      'app.name as app_name',
      'app.disabled_at as app_disabled_at',
      // Read with the key on every request, so a limit changed in the console applies from the next one.
      'app.rate_limit_per_minute as app_rate_limit_per_minute',
      'app.rate_limit_burst as app_rate_limit_burst',
    ]);
  return {
    async insert(key: NewAccessKey): Promise<AccessKeyRow> {
      return db.insertInto('access_key').values(key).returningAll().executeTakeFirstOrThrow();
    },
    async findById(id: string): Promise<AccessKeyWithApp | undefined> {
      return withApp().where('access_key.id', '=', id).executeTakeFirst();
    },
    async list(appId?: string): Promise<AccessKeyWithApp[]> {
      let q = withApp();
      if (appId) q = q.where('access_key.app_id', '=', appId);
      return q.orderBy('access_key.created_at').orderBy('access_key.id').execute();
    },
    async disable(id: string, at: Date): Promise<boolean> {
      const res = await db
        .updateTable('access_key')
        .set({ status: 'disabled', disabled_at: at })
        .where('id', '=', id)
        .where('status', '=', 'active')
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },
    async touch(id: string, at: Date): Promise<void> {
      await db.updateTable('access_key').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}
export type AccessKeyRepo = ReturnType<typeof createAccessKeyRepo>;
