/**
 * Control strategies (docs/console.md, "Blacklist"): ID numbers and client addresses the session engine refuses.
 * Only the keyed digest (the same purposes the sessions use: "identity" and "client-ip") and a masked display value
 * are stored, never the raw value. app_id null = every app; expires_at null = until removed.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('blacklist_entry')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('app_id', 'text', (c) => c.references('app.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('masked', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('blacklist_entry_digest_idx').on('blacklist_entry').columns(['kind', 'digest']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('blacklist_entry').ifExists().execute();
}
