import type { Kysely } from 'kysely';
import type { ConsoleSettingRow, Database } from '../schema.js';

/** Runtime settings saved in the console (migration 0013-settings): key → JSON value, who and when. */
export function createConsoleSettingRepo(db: Kysely<Database>) {
  return {
    async all(): Promise<ConsoleSettingRow[]> {
      return db.selectFrom('console_setting').selectAll().orderBy('key').execute();
    },
    async put(key: string, value: unknown, by: string, at: Date): Promise<void> {
      const json = JSON.stringify(value);
      await db
        .insertInto('console_setting')
        .values({ key, value: json, updated_by: by, updated_at: at })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_by: by, updated_at: at }))
        .execute();
    },
    async remove(key: string): Promise<boolean> {
      const r = await db.deleteFrom('console_setting').where('key', '=', key).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
export type ConsoleSettingRepo = ReturnType<typeof createConsoleSettingRepo>;
