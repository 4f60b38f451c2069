/**
 * Console users: admins create, change (role, disabled, password reset) and delete them; everyone changes their own
 * password. Passwords are scrypt-hashed (src/auth/password.ts). The last enabled admin cannot be removed, demoted
 * or disabled. A password change or reset, a role change and disabling sign the user out everywhere. Audited.
 */
import { ShirenError } from '../errors.js';
import { newId } from '../ids.js';
import type { AdminUserRepo } from '../store/repos/admin-user-repo.js';
import type { AuditRepo } from '../store/repos/audit-repo.js';
import type { ConsoleSessionRepo } from '../store/repos/console-session-repo.js';
import type { AdminUserRow } from '../store/schema.js';
import { actorOf, USERNAME, type ConsoleContext } from './console-auth.js';
import { CONSOLE_ROLES, type ConsoleRole } from './console-roles.js';
import { hashPassword, verifyPassword } from './password.js';

export interface ConsoleUserView {
  id: string;
  username: string;
  role: ConsoleRole;
  createdAt: string;
  disabledAt: string | null;
  passwordChangedAt: string;
}

export const MIN_PASSWORD = 10;
export const MAX_PASSWORD = 256;

function view(u: AdminUserRow): ConsoleUserView {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    createdAt: new Date(u.created_at).toISOString(),
    disabledAt: u.disabled_at ? new Date(u.disabled_at).toISOString() : null,
    passwordChangedAt: new Date(u.password_changed_at).toISOString(),
  };
}

function checkPassword(password: unknown, username: string, field = 'password'): string {
  if (typeof password !== 'string' || [...password].length < MIN_PASSWORD || password.length > MAX_PASSWORD)
    throw new ShirenError('invalid_request', `${field}: must be ${MIN_PASSWORD}–${MAX_PASSWORD} characters`, {
      details: { field },
    });
  if (password.toLowerCase().includes(username.toLowerCase()))
    throw new ShirenError('invalid_request', `${field}: must not contain the username`, { details: { field } });
  return password;
}

function checkRole(role: unknown): ConsoleRole {
  if (!CONSOLE_ROLES.includes(role as ConsoleRole))
    throw new ShirenError('invalid_request', `role: must be one of ${CONSOLE_ROLES.join(', ')}`, {
      details: { field: 'role' },
    });
  return role as ConsoleRole;
}

export function createConsoleUsers(deps: {
  users: AdminUserRepo;
  sessions: ConsoleSessionRepo;
  audit: AuditRepo;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());

  async function byId(id: string): Promise<AdminUserRow> {
    const u = await deps.users.findById(id);
    if (!u) throw new ShirenError('not_found', `no console user ${id}`);
    return u;
  }

  /** Refuses a change that would leave no enabled admin. */
  async function keepAnAdmin(u: AdminUserRow, after: { role: ConsoleRole; enabled: boolean }) {
    const stillAdmin = after.role === 'admin' && after.enabled;
    if (u.role === 'admin' && u.disabled_at === null && !stillAdmin && (await deps.users.countActiveAdmins()) <= 1)
      throw new ShirenError('conflict', 'this is the last enabled admin: create or enable another admin first');
  }

  return {
    async list(): Promise<ConsoleUserView[]> {
      return (await deps.users.list()).map(view);
    },

    async create(ctx: ConsoleContext, input: { username: unknown; password: unknown; role: unknown }) {
      const username = typeof input.username === 'string' ? input.username.trim() : '';
      if (!USERNAME.test(username))
        throw new ShirenError('invalid_request', `username: must match ${USERNAME.source}`, {
          details: { field: 'username' },
        });
      const role = checkRole(input.role);
      const password = checkPassword(input.password, username);
      if (await deps.users.findByUsername(username))
        throw new ShirenError('conflict', `the username ${username} is taken`, { details: { field: 'username' } });
      const row = await deps.users.insert({
        id: newId('usr'),
        username,
        password_hash: await hashPassword(password),
        role,
      });
      await deps.audit.record({
        actor: actorOf(ctx),
        action: 'console_user.create',
        target: row.id,
        details: { username, role },
      });
      return view(row);
    },

    async update(ctx: ConsoleContext, id: string, patch: { role?: unknown; disabled?: unknown; password?: unknown }) {
      const u = await byId(id);
      const role = patch.role === undefined ? u.role : checkRole(patch.role);
      if (patch.disabled !== undefined && typeof patch.disabled !== 'boolean')
        throw new ShirenError('invalid_request', 'disabled: must be true or false', { details: { field: 'disabled' } });
      const enabled = patch.disabled === undefined ? u.disabled_at === null : !patch.disabled;
      if (id === ctx.user.id && (role !== u.role || !enabled))
        throw new ShirenError('conflict', 'you cannot change your own role or disable yourself');
      await keepAnAdmin(u, { role, enabled });
      const t = now();
      const changes: string[] = [];
      const set: Parameters<AdminUserRepo['update']>[1] = {};
      if (role !== u.role) {
        set.role = role;
        changes.push('role');
      }
      if (enabled !== (u.disabled_at === null)) {
        set.disabled_at = enabled ? null : t;
        changes.push(enabled ? 'enabled' : 'disabled');
      }
      if (patch.password !== undefined) {
        set.password_hash = await hashPassword(checkPassword(patch.password, u.username));
        set.password_changed_at = t;
        changes.push('password_reset');
      }
      if (changes.length === 0) return view(u);
      const row = await deps.users.update(id, set);
      if (!row) throw new ShirenError('not_found', `no console user ${id}`);
      const signedOut = await deps.sessions.deleteByUser(id);
      await deps.audit.record({
        actor: actorOf(ctx),
        action: 'console_user.update',
        target: id,
        details: { username: u.username, changes, ...(set.role ? { role } : {}), sessionsEnded: signedOut },
      });
      return view(row);
    },

    async delete(ctx: ConsoleContext, id: string): Promise<void> {
      const u = await byId(id);
      if (id === ctx.user.id) throw new ShirenError('conflict', 'you cannot delete yourself');
      await keepAnAdmin(u, { role: 'auditor', enabled: false });
      await deps.users.delete(id);
      await deps.audit.record({
        actor: actorOf(ctx),
        action: 'console_user.delete',
        target: id,
        details: { username: u.username, role: u.role },
      });
    },

    /** Own password: the current one must be given; other sessions of the user end. */
    async changeOwnPassword(ctx: ConsoleContext, current: unknown, next: unknown): Promise<void> {
      const u = await byId(ctx.user.id);
      if (typeof current !== 'string' || !(await verifyPassword(current, u.password_hash)))
        throw new ShirenError('forbidden', 'the current password is wrong', { details: { field: 'currentPassword' } });
      const password = checkPassword(next, u.username, 'newPassword');
      if (password === current)
        throw new ShirenError('invalid_request', 'newPassword: must differ from the current one', {
          details: { field: 'newPassword' },
        });
      await deps.users.update(u.id, { password_hash: await hashPassword(password), password_changed_at: now() });
      const signedOut = await deps.sessions.deleteByUser(u.id, ctx.sessionHash);
      await deps.audit.record({
        actor: actorOf(ctx),
        action: 'console_user.password',
        target: u.id,
        details: { otherSessionsEnded: signedOut },
      });
    },
  };
}
export type ConsoleUsers = ReturnType<typeof createConsoleUsers>;
