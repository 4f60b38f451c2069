/**
 * Control strategies, part two (docs/console.md, "Blacklist" and "Attempt limits"): the H5 page's device, kept only as
 * a keyed digest (keyring purpose "device") on sessions and attempts, and the attempt-limit rules the session engine
 * enforces. The indexes serve the limit counts: sessions per ID-number digest by creation time, failed attempts per
 * device digest by finish time (failed attempts per address use verify_attempt_ip_idx of 0002).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('verify_session').addColumn('device_digest', 'text').execute();
  await db.schema.alterTable('verify_attempt').addColumn('device_digest', 'text').execute();
  await db.schema
    .createIndex('verify_session_identity_time_idx')
    .on('verify_session')
    .columns(['identity_number_digest', 'created_at'])
    .execute();
  await db.schema
    .createIndex('verify_attempt_device_failed_idx')
    .on('verify_attempt')
    .columns(['device_digest', 'finished_at'])
    .where(sql.ref('passed'), '=', false)
    .execute();

  await db.schema
    .createTable('control_strategy')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('app_id', 'text', (c) => c.references('app.id').onDelete('cascade'))
    .addColumn('plan_id', 'integer', (c) => c.references('plan.id').onDelete('cascade'))
    .addColumn('dimension', 'text', (c) => c.notNull().check(sql`dimension in ('id_number', 'device', 'ip')`))
    .addColumn('max_count', 'integer', (c) => c.notNull().check(sql`max_count >= 1`))
    .addColumn('window_minutes', 'integer', (c) => c.notNull().check(sql`window_minutes >= 1`))
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('control_strategy_dimension_idx')
    .on('control_strategy')
    .columns(['dimension', 'enabled'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('control_strategy').ifExists().execute();
  await db.schema.dropIndex('verify_attempt_device_failed_idx').ifExists().execute();
  await db.schema.dropIndex('verify_session_identity_time_idx').ifExists().execute();
  await db.schema.alterTable('verify_attempt').dropColumn('device_digest').execute();
  await db.schema.alterTable('verify_session').dropColumn('device_digest').execute();
}
