import type { Kysely } from 'kysely';
import type { AdminUserRow, ConsoleSessionRow, Database } from '../schema.js';

export interface ConsoleSessionWithUser extends ConsoleSessionRow {
  user: Pick<AdminUserRow, 'id' | 'username' | 'role' | 'disabled_at'>;
}

/** Console sign-in sessions, keyed by the SHA-256 of the cookie's session id. */
export function createConsoleSessionRepo(db: Kysely<Database>) {
  return {
    async insert(row: Omit<ConsoleSessionRow, 'created_at'> & { created_at: Date }): Promise<void> {
      await db.insertInto('console_session').values(row).execute();
    },
    async find(idHash: string): Promise<ConsoleSessionWithUser | undefined> {
      const row = await db
        .selectFrom('console_session')
        .innerJoin('admin_user', 'admin_user.id', 'console_session.user_id')
        .selectAll('console_session')
        .select([
          'admin_user.username as u_username',
          'admin_user.role as u_role',
          'admin_user.disabled_at as u_disabled_at',
        ])
        .where('console_session.id_hash', '=', idHash)
        .executeTakeFirst();
      if (!row) return undefined;
      const { u_username, u_role, u_disabled_at, ...session } = row;
      return {
        ...session,
        user: { id: session.user_id, username: u_username, role: u_role, disabled_at: u_disabled_at },
      };
    },
    async touch(idHash: string, at: Date): Promise<void> {
      await db.updateTable('console_session').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
    },
    async delete(idHash: string): Promise<void> {
      await db.deleteFrom('console_session').where('id_hash', '=', idHash).execute();
    },
    /** Signs a user out everywhere, optionally keeping one session (the one that changed the password). */
    async deleteByUser(userId: string, exceptIdHash?: string): Promise<number> {
      let q = db.deleteFrom('console_session').where('user_id', '=', userId);
      if (exceptIdHash !== undefined) q = q.where('id_hash', '!=', exceptIdHash);
      const res = await q.executeTakeFirst();
      return Number(res.numDeletedRows);
    },
    async purgeExpired(now: Date, idleBefore: Date): Promise<void> {
      await db
        .deleteFrom('console_session')
        .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleBefore)]))
        .execute();
    },
  };
}
export type ConsoleSessionRepo = ReturnType<typeof createConsoleSessionRepo>;
