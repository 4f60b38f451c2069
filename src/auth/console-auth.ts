/**
 * Console sign-in (docs/console.md): username + password (scrypt, src/auth/password.ts), a random session id in an
 * HttpOnly cookie of which only the SHA-256 is stored, idle and absolute expiry, a synchronizer CSRF token derived
 * from the session id with a keyed MAC, and a lockout after repeated failures per username and per client address.
 * Every sign-in, failure, lockout and sign-out goes to the audit log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ShirenError } from '../errors.js';
import { constantTimeEqual, type Keyring } from '../store/secret-box.js';
import type { AdminUserRepo } from '../store/repos/admin-user-repo.js';
import type { AuditRepo } from '../store/repos/audit-repo.js';
import type { ConsoleLoginRepo } from '../store/repos/console-login-repo.js';
import type { ConsoleSessionRepo } from '../store/repos/console-session-repo.js';
import type { ConsoleRole } from './console-roles.js';
import { hashPassword, verifyPassword } from './password.js';

export interface ConsoleUser {
  id: string;
  username: string;
  role: ConsoleRole;
}

/** The signed-in caller of a console request. */
export interface ConsoleContext {
  user: ConsoleUser;
  /** SHA-256 of the session id (the row key); never the id itself. */
  sessionHash: string;
  csrfToken: string;
  expiresAt: Date;
}

export interface ConsolePolicy {
  /** A session unused for this long is over. */
  idleSeconds: number;
  /** A session is over this long after sign-in, however busy. */
  absoluteSeconds: number;
  /** Failed sign-ins within the window that lock a username. */
  maxUserFailures: number;
  /** Failed sign-ins within the window that lock a client address. */
  maxIpFailures: number;
  windowSeconds: number;
}

export const DEFAULT_CONSOLE_POLICY: ConsolePolicy = {
  idleSeconds: 30 * 60,
  absoluteSeconds: 12 * 3600,
  maxUserFailures: 5,
  maxIpFailures: 5,
  windowSeconds: 15 * 60,
};

export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$/;
const CSRF_PURPOSE = 'console-csrf';
const IP_PURPOSE = 'console-ip';
const TOUCH_EVERY_MS = 60_000;

export const hashSessionId = (id: string) => createHash('sha256').update(id).digest('base64url');

export function createConsoleAuth(deps: {
  users: AdminUserRepo;
  sessions: ConsoleSessionRepo;
  logins: ConsoleLoginRepo;
  audit: AuditRepo;
  keyring: Keyring;
  policy?: Partial<ConsolePolicy>;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const policy = { ...DEFAULT_CONSOLE_POLICY, ...deps.policy };
  const csrfOf = (sessionId: string) => deps.keyring.digest(CSRF_PURPOSE, sessionId);
  /** Compared against when the username is unknown, so both cases take the same scrypt time. */
  let dummyHash: Promise<string> | undefined;

  function lockedError(scope: 'user' | 'ip', oldest: Date | null, t: Date) {
    const until = (oldest?.getTime() ?? t.getTime()) + policy.windowSeconds * 1000;
    const retryAfter = Math.max(1, Math.ceil((until - t.getTime()) / 1000));
    return new ShirenError(
      'too_many_failures',
      scope === 'user'
        ? 'Too many failed sign-ins for this user; try again later.'
        : 'Too many failed sign-ins from this address; try again later.',
      { retryAfter, details: { scope, retryAfterSeconds: retryAfter } },
    );
  }

  return {
    policy,

    async signIn(input: { username: unknown; password: unknown; ip: string; userAgent?: string | undefined }) {
      const t = now();
      const username = typeof input.username === 'string' ? input.username.trim() : '';
      const password = typeof input.password === 'string' ? input.password : '';
      if (!USERNAME.test(username) || password.length === 0 || password.length > 256)
        throw new ShirenError('unauthorized', 'wrong username or password');
      const ipDigest = deps.keyring.digest(IP_PURPOSE, input.ip);
      const since = new Date(t.getTime() - policy.windowSeconds * 1000);
      // Refused before the password is checked, and not counted: a locked account cannot be probed.
      const ipF = await deps.logins.ipFailures(ipDigest, since);
      const userF = await deps.logins.userFailures(username, since);
      const locked =
        userF.count >= policy.maxUserFailures
          ? lockedError('user', userF.oldest, t)
          : ipF.count >= policy.maxIpFailures
            ? lockedError('ip', ipF.oldest, t)
            : undefined;
      if (locked) {
        await deps.audit.record({
          actor: `console:${username}`,
          action: 'console.sign_in_locked',
          target: username,
          details: { scope: locked.details?.scope },
        });
        throw locked;
      }
      const user = await deps.users.findByUsername(username);
      const ok = user
        ? (await verifyPassword(password, user.password_hash)) && user.disabled_at === null
        : await verifyPassword(password, await (dummyHash ??= hashPassword(randomBytes(16).toString('hex')))).then(
            () => false,
          );
      await deps.logins.record({ at: t, username, ipDigest, ok });
      if (!ok || !user) {
        await deps.audit.record({
          actor: `console:${username}`,
          action: 'console.sign_in_failed',
          target: username,
          details: { known: Boolean(user), disabled: Boolean(user?.disabled_at) },
        });
        throw new ShirenError('unauthorized', 'wrong username or password');
      }
      const sessionId = randomBytes(32).toString('base64url');
      const expiresAt = new Date(t.getTime() + policy.absoluteSeconds * 1000);
      await deps.sessions.insert({
        id_hash: hashSessionId(sessionId),
        user_id: user.id,
        created_at: t,
        last_seen_at: t,
        expires_at: expiresAt,
        ip_digest: ipDigest,
        user_agent: input.userAgent?.slice(0, 256) ?? null,
      });
      await deps.audit.record({ actor: `console:${username}`, action: 'console.sign_in', target: user.id });
      // Housekeeping on the (rare) sign-in path instead of a timer.
      await deps.sessions.purgeExpired(t, new Date(t.getTime() - policy.idleSeconds * 1000));
      await deps.logins.purgeBefore(new Date(t.getTime() - 24 * 3600_000));
      const context: ConsoleContext = {
        user: { id: user.id, username: user.username, role: user.role },
        sessionHash: hashSessionId(sessionId),
        csrfToken: csrfOf(sessionId),
        expiresAt,
      };
      return { sessionId, context };
    },

    /** The caller behind a session cookie: unauthorized when unknown, idle too long, past its expiry or disabled. */
    async authenticate(sessionId: string | undefined): Promise<ConsoleContext> {
      if (!sessionId || !/^[A-Za-z0-9_-]{43}$/.test(sessionId))
        throw new ShirenError('unauthorized', 'not signed in to the console');
      const t = now();
      const idHash = hashSessionId(sessionId);
      const row = await deps.sessions.find(idHash);
      if (!row) throw new ShirenError('unauthorized', 'not signed in to the console');
      const lastSeen = new Date(row.last_seen_at).getTime();
      if (
        t.getTime() >= new Date(row.expires_at).getTime() ||
        t.getTime() - lastSeen >= policy.idleSeconds * 1000 ||
        row.user.disabled_at !== null
      ) {
        await deps.sessions.delete(idHash);
        throw new ShirenError('unauthorized', 'the console session has ended; sign in again');
      }
      if (t.getTime() - lastSeen >= TOUCH_EVERY_MS) await deps.sessions.touch(idHash, t);
      return {
        user: { id: row.user.id, username: row.user.username, role: row.user.role },
        sessionHash: idHash,
        csrfToken: csrfOf(sessionId),
        expiresAt: new Date(row.expires_at),
      };
    },

    /** The CSRF token sent in x-csrf-token must be the one derived from this session. */
    checkCsrf(ctx: ConsoleContext, presented: string | undefined): void {
      if (!presented || !constantTimeEqual(presented, ctx.csrfToken))
        throw new ShirenError('forbidden', 'the CSRF token is missing or wrong (send x-csrf-token)', {
          details: { csrf: 'invalid' },
        });
    },

    async signOut(ctx: ConsoleContext): Promise<void> {
      await deps.sessions.delete(ctx.sessionHash);
      await deps.audit.record({ actor: actorOf(ctx), action: 'console.sign_out', target: ctx.user.id });
    },
  };
}
export type ConsoleAuth = ReturnType<typeof createConsoleAuth>;

/** The audit-log actor of a console user. */
export const actorOf = (ctx: ConsoleContext) => `console:${ctx.user.username}`;
