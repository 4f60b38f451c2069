/**
 * Console roles and what each may do. Every console route declares one access level; the console plugin refuses a
 * route without one at start-up, so nothing is reachable by default.
 *   read     every role: records, apps, keys (never secrets), users, audit log
 *   operate  admin, operator: delete records, create/disable/rotate access keys
 *   admin    admin only: console users
 *   self     any signed-in user, on their own account (sign-out, own password)
 */
export const CONSOLE_ROLES = ['admin', 'operator', 'auditor'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];
export type ConsoleAccess = 'read' | 'operate' | 'admin' | 'self';

const ALLOWED: Record<ConsoleAccess, readonly ConsoleRole[]> = {
  read: CONSOLE_ROLES,
  self: CONSOLE_ROLES,
  operate: ['admin', 'operator'],
  admin: ['admin'],
};

export function roleAllows(role: ConsoleRole, access: ConsoleAccess): boolean {
  return ALLOWED[access].includes(role);
}

/** What the page may offer a role (the server checks every call anyway). */
export function capabilities(role: ConsoleRole) {
  return { operate: roleAllows(role, 'operate'), manageUsers: roleAllows(role, 'admin') };
}
