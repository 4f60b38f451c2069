/**
 * The operator console (docs/console.md): sign-in sessions (only a hash of the session id is stored), the sign-in
 * attempts that drive the lockout, password-change times of console users, and the indexes the records search uses
 * across apps (newest first, by OuterOrderNo, plan and result code).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('admin_user')
    .addColumn('password_changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('console_session')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('admin_user.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ip_digest', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('console_session_user_idx').on('console_session').column('user_id').execute();
  await db.schema.createIndex('console_session_expires_idx').on('console_session').column('expires_at').execute();

  await db.schema
    .createTable('console_login_attempt')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('ip_digest', 'text', (c) => c.notNull())
    .addColumn('ok', 'boolean', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('console_login_attempt_user_idx')
    .on('console_login_attempt')
    .columns(['username', 'at'])
    .execute();
  await db.schema
    .createIndex('console_login_attempt_ip_idx')
    .on('console_login_attempt')
    .columns(['ip_digest', 'at'])
    .execute();

  await db.schema
    .createIndex('verify_session_created_idx')
    .on('verify_session')
    .columns(['created_at', 'id'])
    .execute();
  await db.schema.createIndex('verify_session_outer_order_idx').on('verify_session').column('outer_order_no').execute();
  await db.schema
    .createIndex('verify_session_plan_idx')
    .on('verify_session')
    .columns(['plan_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('verify_session_result_code_idx')
    .on('verify_session')
    .expression(sql`(result->>'code'), created_at`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('verify_session_result_code_idx').ifExists().execute();
  await db.schema.dropIndex('verify_session_plan_idx').ifExists().execute();
  await db.schema.dropIndex('verify_session_outer_order_idx').ifExists().execute();
  await db.schema.dropIndex('verify_session_created_idx').ifExists().execute();
  await db.schema.dropTable('console_login_attempt').ifExists().execute();
  await db.schema.dropTable('console_session').ifExists().execute();
  await db.schema.alterTable('admin_user').dropColumn('password_changed_at').execute();
}
