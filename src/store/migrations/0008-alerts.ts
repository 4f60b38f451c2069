/**
 * Alerts (docs/console.md, "Alerts"): rules an admin sets on the pass rate, the failures from one address or the
 * session volume over a window, and the events they fired (with the outcome of their signed webhook). A rule fires at
 * most once per window (the cool-down is read from its newest event).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_rule')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('threshold', 'double precision', (c) => c.notNull())
    .addColumn('window_minutes', 'integer', (c) => c.notNull())
    .addColumn('min_sessions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('plan_id', 'integer', (c) => c.references('plan.id').onDelete('cascade'))
    .addColumn('webhook_url', 'text')
    .addColumn('webhook_secret_enc', 'text')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('alert_event')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('rule_id', 'integer', (c) => c.notNull().references('alert_rule.id').onDelete('cascade'))
    .addColumn('fired_at', 'timestamptz', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('delivery_error', 'text')
    .execute();
  await db.schema.createIndex('alert_event_rule_idx').on('alert_event').columns(['rule_id', 'fired_at']).execute();
  await db.schema.createIndex('alert_event_fired_idx').on('alert_event').column('fired_at').execute();
  // Failed attempts per address in a window.
  await db.schema
    .createIndex('verify_attempt_finished_idx')
    .on('verify_attempt')
    .columns(['finished_at', 'client_ip_digest'])
    .execute();
  await db.schema.createIndex('verify_session_finished_idx').on('verify_session').column('finished_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('verify_session_finished_idx').ifExists().execute();
  await db.schema.dropIndex('verify_attempt_finished_idx').ifExists().execute();
  await db.schema.dropTable('alert_event').ifExists().execute();
  await db.schema.dropTable('alert_rule').ifExists().execute();
}
