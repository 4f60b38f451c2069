/**
 * Per-app rate limits (docs/console.md, "Apps and access keys"): a token bucket per app, refilled at
 * rate_limit_per_minute requests per minute and holding at most rate_limit_burst (null: the per-minute value).
 * rate_limit_per_minute null = unlimited (every existing app stays unlimited).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('app').addColumn('rate_limit_per_minute', 'integer').execute();
  await db.schema.alterTable('app').addColumn('rate_limit_burst', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('app').dropColumn('rate_limit_burst').execute();
  await db.schema.alterTable('app').dropColumn('rate_limit_per_minute').execute();
}
