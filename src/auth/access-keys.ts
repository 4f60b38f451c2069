/**
 * Access keys: AccessKeyId/AccessKeySecret pairs that belong to an app (tenant). Every protocol (native bearer and HMAC,
 * Aliyun, Baidu, Volcengine) resolves a caller through `resolve`, which returns the plaintext secret for signature checks.
 * Secrets are stored only as AES-GCM ciphertext under the master key.
 *
 * After a protocol has checked the caller's signature or secret, it turns the key into its Principal with `admit`,
 * which charges the app's rate limit (src/auth/rate-limiter.ts): the one place every protocol passes through.
 */
import { ShirenError } from '../errors.js';
import { newAccessKeyId, newAccessKeySecret, newId } from '../ids.js';
import { constantTimeEqual, type Keyring } from '../store/secret-box.js';
import type { AccessKeyRepo } from '../store/repos/access-key-repo.js';
import type { AppRepo } from '../store/repos/app-repo.js';
import type { AuditRepo } from '../store/repos/audit-repo.js';
import { createRateLimiter, type RateLimit, type RateLimiter } from './rate-limiter.js';

export interface Principal {
  appId: string;
  appName: string;
  accessKeyId: string;
}

/** An authenticated key before `admit`: the principal and its app's rate limit (null = unlimited). */
export interface AppKey extends Principal {
  rateLimit: RateLimit | null;
}

export interface ResolvedKey extends AppKey {
  secret: string;
}

export interface AccessKeySummary {
  accessKeyId: string;
  appId: string;
  appName: string;
  status: 'active' | 'disabled';
  createdAt: string;
  lastUsedAt: string | null;
  disabledAt: string | null;
}

const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SECRET_PURPOSE = 'access-key-secret';

export function createAccessKeyService(deps: {
  apps: AppRepo;
  accessKeys: AccessKeyRepo;
  audit: AuditRepo;
  keyring: Keyring;
  now?: () => Date;
  /** The per-app token buckets (default: one for this service, on `now`). */
  limiter?: RateLimiter;
}) {
  const now = deps.now ?? (() => new Date());
  const limiter = deps.limiter ?? createRateLimiter({ now: () => now().getTime() });
  const box = deps.keyring.box(SECRET_PURPOSE);
  /** Touching last_used_at on every call would write on every request; once a minute per key is enough. */
  const lastTouched = new Map<string, number>();

  async function ensureApp(name: string) {
    if (!APP_NAME.test(name)) {
      throw new ShirenError('invalid_request', `app name must match ${APP_NAME.source}`, { details: { field: 'app' } });
    }
    const existing = await deps.apps.findByName(name);
    if (existing) return existing;
    try {
      return await deps.apps.insert({ id: newId('app'), name });
    } catch (err) {
      const raced = await deps.apps.findByName(name);
      if (raced) return raced;
      throw err;
    }
  }

  return {
    ensureApp,

    async create(opts: {
      app?: string;
      actor: string;
    }): Promise<{ accessKeyId: string; accessKeySecret: string; appId: string; appName: string }> {
      const app = await ensureApp(opts.app ?? 'default');
      if (app.disabled_at) throw new ShirenError('conflict', `app ${app.name} is disabled`);
      const accessKeyId = newAccessKeyId();
      const accessKeySecret = newAccessKeySecret();
      await deps.accessKeys.insert({
        id: accessKeyId,
        app_id: app.id,
        secret_enc: box.encrypt(accessKeySecret),
        status: 'active',
        disabled_at: null,
        last_used_at: null,
      });
      await deps.audit.record({
        actor: opts.actor,
        action: 'access_key.create',
        target: accessKeyId,
        details: { app: app.name },
      });
      return { accessKeyId, accessKeySecret, appId: app.id, appName: app.name };
    },

    async list(): Promise<AccessKeySummary[]> {
      const rows = await deps.accessKeys.list();
      return rows.map((r) => ({
        accessKeyId: r.id,
        appId: r.app_id,
        appName: r.app_name,
        status: r.status,
        createdAt: r.created_at.toISOString(),
        lastUsedAt: r.last_used_at?.toISOString() ?? null,
        disabledAt: r.disabled_at?.toISOString() ?? null,
      }));
    },

    async disable(accessKeyId: string, actor: string): Promise<void> {
      const row = await deps.accessKeys.findById(accessKeyId);
      if (!row) throw new ShirenError('not_found', `no access key ${accessKeyId}`);
      if (row.status === 'disabled') return;
      await deps.accessKeys.disable(accessKeyId, now());
      await deps.audit.record({ actor, action: 'access_key.disable', target: accessKeyId });
    },

    /**
     * The active key with its plaintext secret, for signature verification. Unknown → access_key_invalid;
     * disabled key or app → access_key_disabled.
     */
    async resolve(accessKeyId: string): Promise<ResolvedKey> {
      const row = await deps.accessKeys.findById(accessKeyId);
      if (!row) throw new ShirenError('access_key_invalid');
      if (row.status !== 'active' || row.app_disabled_at) throw new ShirenError('access_key_disabled');
      const t = now().getTime();
      if ((lastTouched.get(row.id) ?? 0) < t - 60_000) {
        lastTouched.set(row.id, t);
        await deps.accessKeys.touch(row.id, new Date(t));
      }
      const perMinute = row.app_rate_limit_per_minute;
      return {
        appId: row.app_id,
        appName: row.app_name,
        accessKeyId: row.id,
        rateLimit: perMinute === null ? null : { perMinute, burst: row.app_rate_limit_burst ?? perMinute },
        secret: box.decryptString(row.secret_enc),
      };
    },

    /** API-key style check: the presented secret must equal the stored one (then `admit` the key). */
    async verifySecret(accessKeyId: string, secret: string): Promise<AppKey> {
      const key = await this.resolve(accessKeyId);
      if (!constantTimeEqual(key.secret, secret)) throw new ShirenError('access_key_invalid');
      return { appId: key.appId, appName: key.appName, accessKeyId: key.accessKeyId, rateLimit: key.rateLimit };
    },

    /**
     * The Principal of a key whose caller is authenticated, once the app's rate limit admits one more request
     * (in this process); over the limit: rate_limited with retryAfter. Call it only after the signature (and the
     * nonce) checked out, so nobody can use up an app's allowance with requests they could not sign.
     */
    admit(key: AppKey): Principal {
      const wait = limiter.take(key.appId, key.rateLimit);
      if (wait > 0) {
        const limit = key.rateLimit!;
        throw new ShirenError(
          'rate_limited',
          `app ${key.appName} is limited to ${limit.perMinute} requests per minute (burst ${limit.burst}); retry in ${wait} s.`,
          {
            retryAfter: wait,
            details: {
              scope: 'app',
              rateLimitPerMinute: limit.perMinute,
              rateLimitBurst: limit.burst,
              retryAfterSeconds: wait,
            },
          },
        );
      }
      return { appId: key.appId, appName: key.appName, accessKeyId: key.accessKeyId };
    },
  };
}
export type AccessKeyService = ReturnType<typeof createAccessKeyService>;
