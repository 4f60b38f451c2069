/**
 * Preview sessions and alert webhook retries (docs/console.md, "Plans" and "Alerts").
 * - verify_session.preview: a session an operator started from the console's plan preview link. It is a real
 *   session (recorded, shown in the records with a mark) but statistics and alert rules leave it out.
 * - alert_event.delivery_attempts / next_delivery_at: a webhook that failed is retried with back-off by the job loop;
 *   next_delivery_at is null once it was delivered or gave up.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('verify_session')
    .addColumn('preview', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .alterTable('alert_event')
    .addColumn('delivery_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('alert_event').addColumn('next_delivery_at', 'timestamptz').execute();
  await db.schema.createIndex('alert_event_next_delivery_idx').on('alert_event').column('next_delivery_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('alert_event').dropColumn('next_delivery_at').execute();
  await db.schema.alterTable('alert_event').dropColumn('delivery_attempts').execute();
  await db.schema.alterTable('verify_session').dropColumn('preview').execute();
}
