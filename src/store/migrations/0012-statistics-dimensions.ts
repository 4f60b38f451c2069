/**
 * Dimensions for the console's statistics breakdowns (docs/console.md "Statistics"): the province of the session's
 * ID number (`id_province`, its first two digits only; set with the identity) and the device OS of the H5 page
 * (`device_os`, from the user agent; set when the user agent is recorded). The OS of older sessions is backfilled
 * here from their stored user agent with the rules of src/verify/dimensions.ts `deviceOs` (copied, so this migration
 * stays as it shipped). Their province cannot be backfilled: the ID number is stored only encrypted.
 */
import { sql, type Kysely } from 'kysely';

/** The rules of deviceOs() in SQL, first match wins (exported for the test that compares both). */
export async function backfillDeviceOs(db: Kysely<unknown>): Promise<void> {
  await sql`
    update verify_session set device_os = case
      when user_agent ~* '(harmonyos|openharmony|arkweb)' then 'HarmonyOS'
      when user_agent ~* '(iphone|ipad|ipod)' then 'iOS'
      when user_agent ~* 'android' then 'Android'
      when user_agent ~* 'windows' then 'Windows'
      when user_agent ~* '(macintosh|mac os x)' then 'macOS'
      when user_agent ~* 'linux' then 'Linux'
      else 'other' end
    where user_agent is not null and device_os is null`.execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('verify_session')
    .addColumn('id_province', 'text')
    .addColumn('device_os', 'text')
    .execute();
  await backfillDeviceOs(db);
  // Statistics and breakdowns scan a window of created_at and read only these columns: a covering index lets
  // PostgreSQL answer them from the index alone (index-only scan) instead of the wide rows (identity ciphertext,
  // result JSON). Kysely's builder has no INCLUDE, hence the SQL.
  await sql`create index verify_session_dimensions_idx on verify_session (created_at)
    include (status, expires_at, app_id, plan_id, device_os, id_province)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('verify_session_dimensions_idx').ifExists().execute();
  await db.schema.alterTable('verify_session').dropColumn('device_os').dropColumn('id_province').execute();
}
