import type { Kysely } from 'kysely';
import type { AdminUserRow, Database } from '../schema.js';

export function createAdminUserRepo(db: Kysely<Database>) {
  return {
    async insert(user: Pick<AdminUserRow, 'id' | 'username' | 'password_hash' | 'role'>): Promise<AdminUserRow> {
      return db.insertInto('admin_user').values(user).returningAll().executeTakeFirstOrThrow();
    },
    async findByUsername(username: string): Promise<AdminUserRow | undefined> {
      return db.selectFrom('admin_user').selectAll().where('username', '=', username).executeTakeFirst();
    },
    async count(): Promise<number> {
      const row = await db
        .selectFrom('admin_user')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
export type AdminUserRepo = ReturnType<typeof createAdminUserRepo>;
