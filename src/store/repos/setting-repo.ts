import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** Runtime settings and instance facts, as JSON values under string keys. */
export function createSettingRepo(db: Kysely<Database>) {
  return {
    async get<T>(key: string): Promise<T | undefined> {
      const row = await db.selectFrom('setting').select('value').where('key', '=', key).executeTakeFirst();
      return row === undefined ? undefined : (row.value as T);
    },
    async set(key: string, value: unknown): Promise<void> {
      await db
        .insertInto('setting')
        .values({ key, value: JSON.stringify(value), updated_at: new Date() })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: sql`now()` }))
        .execute();
    },
    /** Sets the value only if the key is absent; returns the stored value either way. */
    async setIfAbsent<T>(key: string, value: T): Promise<T> {
      await db
        .insertInto('setting')
        .values({ key, value: JSON.stringify(value), updated_at: new Date() })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      return (await this.get<T>(key)) as T;
    },
  };
}
export type SettingRepo = ReturnType<typeof createSettingRepo>;
