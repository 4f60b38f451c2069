import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** Console sign-in attempts: the lockout counts recent failures per username and per client address. */
export function createConsoleLoginRepo(db: Kysely<Database>) {
  return {
    async record(a: { at: Date; username: string; ipDigest: string; ok: boolean }): Promise<void> {
      await db
        .insertInto('console_login_attempt')
        .values({ at: a.at, username: a.username, ip_digest: a.ipDigest, ok: a.ok })
        .execute();
    },
    /**
     * Failures of a username since `since` and after its last successful sign-in, with the oldest of them
     * (the lockout ends when that one leaves the window).
     */
    async userFailures(username: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
      const lastOk = await db
        .selectFrom('console_login_attempt')
        .select((eb) => eb.fn.max('at').as('at'))
        .where('username', '=', username)
        .where('ok', '=', true)
        .where('at', '>', since)
        .executeTakeFirst();
      const from = lastOk?.at ? new Date(lastOk.at as Date) : since;
      const row = await db
        .selectFrom('console_login_attempt')
        .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('at').as('oldest')])
        .where('username', '=', username)
        .where('ok', '=', false)
        .where('at', '>', from)
        .executeTakeFirstOrThrow();
      return { count: Number(row.n), oldest: row.oldest ? new Date(row.oldest as Date) : null };
    },
    /** Failures from a client address since `since` (a success does not reset these). */
    async ipFailures(ipDigest: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
      const row = await db
        .selectFrom('console_login_attempt')
        .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('at').as('oldest')])
        .where('ip_digest', '=', ipDigest)
        .where('ok', '=', false)
        .where('at', '>', since)
        .executeTakeFirstOrThrow();
      return { count: Number(row.n), oldest: row.oldest ? new Date(row.oldest as Date) : null };
    },
    async purgeBefore(at: Date): Promise<void> {
      await db.deleteFrom('console_login_attempt').where('at', '<', at).execute();
    },
  };
}
export type ConsoleLoginRepo = ReturnType<typeof createConsoleLoginRepo>;
