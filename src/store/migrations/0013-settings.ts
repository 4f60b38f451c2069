/**
 * Operator-editable runtime settings (docs/console.md, "Settings"): one row per setting saved in the console, the key
 * (e.g. "imageFetch.allowHosts"), its JSON value, who saved it and when. A key without a row has its start-up value
 * (environment or built-in default). Kept apart from `setting`, which holds instance facts such as the master-key
 * check value that no console user may change.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('console_setting')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'jsonb', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('console_setting').ifExists().execute();
}
