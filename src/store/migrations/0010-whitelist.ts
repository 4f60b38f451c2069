/**
 * Whitelist settings (docs/console.md, "Whitelist"; Cloudauth InsertWhiteListSetting & co., docs/aliyun.md): an ID
 * number whose failed face comparison does not fail a session of one plan while the entry is valid. Only the keyed
 * digest of the number (keyring purpose "identity", as the sessions store it) and a masked display value are kept.
 * certify_id: the session token the entry was made from (CertifyId), when it was.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('whitelist_entry')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('app_id', 'text', (c) => c.notNull().references('app.id').onDelete('cascade'))
    .addColumn('plan_id', 'integer', (c) => c.notNull().references('plan.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('masked', 'text', (c) => c.notNull())
    .addColumn('certify_id', 'text')
    .addColumn('remark', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('valid_days', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('valid_until', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('whitelist_entry_plan_digest_idx')
    .on('whitelist_entry')
    .columns(['plan_id', 'digest'])
    .execute();
  await db.schema.createIndex('whitelist_entry_app_idx').on('whitelist_entry').columns(['app_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('whitelist_entry').ifExists().execute();
}
