import type { Kysely } from 'kysely';
import type { AdminUserRow, Database } from '../schema.js';

/** Console users (the table keeps its first-run name admin_user): username, scrypt hash, role, disabled time. */
export function createAdminUserRepo(db: Kysely<Database>) {
  return {
    async insert(user: Pick<AdminUserRow, 'id' | 'username' | 'password_hash' | 'role'>): Promise<AdminUserRow> {
      return db.insertInto('admin_user').values(user).returningAll().executeTakeFirstOrThrow();
    },
    async findByUsername(username: string): Promise<AdminUserRow | undefined> {
      return db.selectFrom('admin_user').selectAll().where('username', '=', username).executeTakeFirst();
    },
    async findById(id: string): Promise<AdminUserRow | undefined> {
      return db.selectFrom('admin_user').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async list(): Promise<AdminUserRow[]> {
      return db.selectFrom('admin_user').selectAll().orderBy('created_at').orderBy('id').execute();
    },
    async update(
      id: string,
      patch: Partial<Pick<AdminUserRow, 'password_hash' | 'role' | 'disabled_at' | 'password_changed_at'>>,
    ): Promise<AdminUserRow | undefined> {
      return db.updateTable('admin_user').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
    },
    async delete(id: string): Promise<boolean> {
      const res = await db.deleteFrom('admin_user').where('id', '=', id).executeTakeFirst();
      return res.numDeletedRows > 0n;
    },
    /** Enabled users with the admin role. */
    async countActiveAdmins(): Promise<number> {
      const row = await db
        .selectFrom('admin_user')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('role', '=', 'admin')
        .where('disabled_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
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
