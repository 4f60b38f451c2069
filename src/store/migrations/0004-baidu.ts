/** The document type of a session's identity (Baidu faceprint's certificate_type 0–5; docs/baidu.md). */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('verify_session')
    .addColumn('identity_type', 'smallint', (c) => c.check(sql`identity_type between 0 and 5`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('verify_session').dropColumn('identity_type').execute();
}
