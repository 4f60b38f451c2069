/**
 * A record of every identity information check (docs/console.md "Check records"): what was asked of which source and
 * what it answered, never the values themselves. The ID number is kept only as its keyed digest (the purpose the
 * sessions use, so one search finds both) and masked; names, mobiles, cards and plates are not kept at all.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('identity_check_record')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('app_id', 'text', (c) => c.notNull().references('app.id').onDelete('cascade'))
    .addColumn('plan_id', 'integer')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('param_type', 'text', (c) => c.notNull())
    .addColumn('provider', 'text')
    .addColumn('result', 'text')
    .addColumn('error_code', 'text')
    .addColumn('mismatched', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('id_number_digest', 'text')
    .addColumn('id_number_masked', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('identity_check_record_created_idx')
    .on('identity_check_record')
    .columns(['created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('identity_check_record_digest_idx')
    .on('identity_check_record')
    .column('id_number_digest')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('identity_check_record').ifExists().execute();
}
