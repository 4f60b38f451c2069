/** Verification plans, sessions, attempts, challenges and callback deliveries (docs/sessions.md). */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('plan')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('app_id', 'text', (c) => c.notNull().references('app.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('liveness_mode', 'text', (c) =>
      c.notNull().check(sql`liveness_mode in ('silent', 'action', 'flash', 'none')`),
    )
    .addColumn('action_count', 'integer', (c) => c.notNull().check(sql`action_count between 1 and 4`))
    .addColumn('action_pool', 'jsonb', (c) => c.notNull())
    .addColumn('compare_source', 'text', (c) =>
      c.notNull().check(sql`compare_source in ('uploaded', 'previous', 'registry', 'none')`),
    )
    .addColumn('identity_input', 'text', (c) => c.notNull().check(sql`identity_input in ('user', 'preset', 'none')`))
    .addColumn('threshold_score', 'double precision', (c) =>
      c.notNull().check(sql`threshold_score >= 0 and threshold_score <= 100`),
    )
    .addColumn('passive_liveness_threshold', 'double precision', (c) =>
      c.check(sql`passive_liveness_threshold >= 0 and passive_liveness_threshold <= 1`),
    )
    .addColumn('max_attempts', 'integer', (c) => c.notNull().check(sql`max_attempts >= 1`))
    .addColumn('invalidate_on_failure', 'boolean', (c) => c.notNull())
    .addColumn('success_url', 'text')
    .addColumn('failure_url', 'text')
    .addColumn('callback_url', 'text')
    .addColumn('callback_secret_enc', 'text')
    .addColumn('result_retention_hours', 'integer', (c) => c.notNull())
    .addColumn('media_retention_hours', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('disabled_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('plan_app_idx').on('plan').columns(['app_id', 'id']).execute();

  await db.schema
    .createTable('verify_session')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token', 'text', (c) => c.notNull().unique())
    .addColumn('app_id', 'text', (c) => c.notNull().references('app.id').onDelete('cascade'))
    .addColumn('plan_id', 'integer', (c) => c.notNull().references('plan.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('created', 'in_progress', 'passed', 'failed', 'expired')`),
    )
    .addColumn('outer_order_no', 'text')
    .addColumn('identity_name_enc', 'text')
    .addColumn('identity_number_enc', 'text')
    .addColumn('identity_number_digest', 'text')
    .addColumn('reference_blob_key', 'text')
    .addColumn('previous_session_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('result', 'jsonb')
    .addColumn('best_frame_key', 'text')
    .addColumn('env_frame_key', 'text')
    .addColumn('purge_at', 'timestamptz', (c) => c.notNull())
    .addColumn('media_purge_at', 'timestamptz', (c) => c.notNull())
    .addColumn('client_ip_digest', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema
    .createIndex('verify_session_app_idx')
    .on('verify_session')
    .columns(['app_id', 'created_at'])
    .execute();
  await db.schema.createIndex('verify_session_purge_idx').on('verify_session').column('purge_at').execute();
  await db.schema.createIndex('verify_session_media_purge_idx').on('verify_session').column('media_purge_at').execute();
  await db.schema
    .createIndex('verify_session_expires_idx')
    .on('verify_session')
    .columns(['status', 'expires_at'])
    .execute();
  await db.schema
    .createIndex('verify_session_identity_idx')
    .on('verify_session')
    .column('identity_number_digest')
    .execute();
  await db.schema
    .createIndex('verify_session_ip_idx')
    .on('verify_session')
    .columns(['client_ip_digest', 'created_at'])
    .execute();

  await db.schema
    .createTable('verify_attempt')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('session_id', 'text', (c) => c.notNull().references('verify_session.id').onDelete('cascade'))
    .addColumn('order', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull())
    .addColumn('passed', 'boolean', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('score', 'double precision')
    .addColumn('threshold', 'double precision')
    .addColumn('liveness_score', 'double precision')
    .addColumn('challenge', 'jsonb')
    .addColumn('details', 'jsonb')
    .addColumn('engine_calls', 'integer', (c) => c.notNull())
    .addColumn('client_ip_digest', 'text')
    .addUniqueConstraint('verify_attempt_order_uq', ['session_id', 'order'])
    .execute();
  await db.schema
    .createIndex('verify_attempt_ip_idx')
    .on('verify_attempt')
    .columns(['client_ip_digest', 'finished_at'])
    .execute();

  await db.schema
    .createTable('challenge')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('verify_session.id').onDelete('cascade'))
    .addColumn('spec', 'jsonb', (c) => c.notNull())
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('challenge_session_idx').on('challenge').column('session_id').execute();

  await db.schema
    .createTable('callback_delivery')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('session_id', 'text', (c) => c.notNull().references('verify_session.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'delivered', 'failed')`))
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('delivered_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('callback_delivery_due_idx')
    .on('callback_delivery')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema.createIndex('callback_delivery_session_idx').on('callback_delivery').column('session_id').execute();

  await db.schema
    .createTable('callback_try')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('delivery_id', 'integer', (c) => c.notNull().references('callback_delivery.id').onDelete('cascade'))
    .addColumn('try_no', 'integer', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('callback_try_delivery_idx').on('callback_try').column('delivery_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['callback_try', 'callback_delivery', 'challenge', 'verify_attempt', 'verify_session', 'plan']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
