/**
 * Apps and access keys as the console manages them, on top of src/auth/access-keys.ts: list apps with their key
 * counts, create a key (its secret is returned once and never again), disable one (it stops working on the next
 * request: every protocol resolves keys from the database), and rotate one (a new key in the same app, the old one
 * disabled at once), and set an app's rate limit (`updateApp`, audited `app.update`; applied from the next request,
 * src/auth/rate-limiter.ts).
 */
import { ShirenError } from '../errors.js';
import type { AppRepo } from '../store/repos/app-repo.js';
import type { AppRow } from '../store/schema.js';
import type { AuditRepo } from '../store/repos/audit-repo.js';
import type { AccessKeyService, AccessKeySummary } from './access-keys.js';

export interface AppView {
  id: string;
  name: string;
  createdAt: string;
  disabledAt: string | null;
  /** Requests per minute over all the app's keys, in each server process; null = unlimited. */
  rateLimitPerMinute: number | null;
  /** The largest burst (null when unlimited; the per-minute value unless set). */
  rateLimitBurst: number | null;
  keys: { active: number; disabled: number };
}

/** `PATCH /v1/console/apps/:id`: absent = unchanged; rateLimitPerMinute null = unlimited (the burst is cleared). */
export interface AppUpdate {
  rateLimitPerMinute?: number | null;
  rateLimitBurst?: number | null;
}

export const RATE_LIMIT_MAX = 1_000_000;
const APP_FIELDS = ['rateLimitPerMinute', 'rateLimitBurst'];

function limitValue(input: Record<string, unknown>, field: keyof AppUpdate): number | null | undefined {
  const v = input[field];
  if (v === undefined || v === null) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > RATE_LIMIT_MAX)
    throw new ShirenError('invalid_request', `${field} must be a whole number from 1 to ${RATE_LIMIT_MAX}, or null`, {
      details: { field },
    });
  return v;
}

function appView(a: AppRow, keys: AccessKeySummary[]): AppView {
  return {
    id: a.id,
    name: a.name,
    createdAt: new Date(a.created_at).toISOString(),
    disabledAt: a.disabled_at ? new Date(a.disabled_at).toISOString() : null,
    rateLimitPerMinute: a.rate_limit_per_minute,
    rateLimitBurst: a.rate_limit_per_minute === null ? null : (a.rate_limit_burst ?? a.rate_limit_per_minute),
    keys: {
      active: keys.filter((k) => k.appId === a.id && k.status === 'active').length,
      disabled: keys.filter((k) => k.appId === a.id && k.status === 'disabled').length,
    },
  };
}

export function createConsoleKeys(deps: { apps: AppRepo; keys: AccessKeyService; audit: AuditRepo }) {
  return {
    async apps(): Promise<AppView[]> {
      const [apps, keys] = await Promise.all([deps.apps.list(), deps.keys.list()]);
      return apps.map((a) => appView(a, keys));
    },

    /** Sets the app's rate limit; 400 invalid_request with details.field, 404 for an unknown app. */
    async updateApp(id: string, input: unknown, actor: string): Promise<AppView> {
      if (!input || typeof input !== 'object' || Array.isArray(input))
        throw new ShirenError('invalid_request', 'the body must be a JSON object', { details: { field: 'body' } });
      const body = input as Record<string, unknown>;
      const unknown = Object.keys(body).find((k) => !APP_FIELDS.includes(k));
      if (unknown)
        throw new ShirenError('invalid_request', `unknown field ${unknown}`, { details: { field: unknown } });
      if (Object.keys(body).length === 0)
        throw new ShirenError('invalid_request', 'nothing to change: give rateLimitPerMinute and/or rateLimitBurst', {
          details: { field: 'rateLimitPerMinute' },
        });
      const perMinute = limitValue(body, 'rateLimitPerMinute');
      const burst = limitValue(body, 'rateLimitBurst');
      const app = await deps.apps.findById(id);
      if (!app) throw new ShirenError('not_found', `no app ${id}`);
      const nextPerMinute = perMinute === undefined ? app.rate_limit_per_minute : perMinute;
      // Unlimited clears the burst; a new per-minute value without a burst keeps the stored one.
      const nextBurst = nextPerMinute === null ? null : burst === undefined ? app.rate_limit_burst : burst;
      if (nextPerMinute === null && burst !== undefined && burst !== null)
        throw new ShirenError('invalid_request', 'rateLimitBurst needs rateLimitPerMinute (the app is unlimited)', {
          details: { field: 'rateLimitBurst' },
        });
      const updated = await deps.apps.setRateLimit(app.id, nextPerMinute, nextBurst);
      if (!updated) throw new ShirenError('not_found', `no app ${id}`);
      await deps.audit.record({
        actor,
        action: 'app.update',
        target: app.id,
        details: {
          app: app.name,
          rateLimitPerMinute: nextPerMinute,
          rateLimitBurst: nextBurst,
          previous: { rateLimitPerMinute: app.rate_limit_per_minute, rateLimitBurst: app.rate_limit_burst },
        },
      });
      return appView(updated, await deps.keys.list());
    },

    async keys(app?: string): Promise<AccessKeySummary[]> {
      const all = await deps.keys.list();
      return app ? all.filter((k) => k.appName === app) : all;
    },

    create: (app: string, actor: string) => deps.keys.create({ app, actor }),

    async disable(accessKeyId: string, actor: string): Promise<void> {
      await deps.keys.disable(accessKeyId, actor);
    },

    async rotate(accessKeyId: string, actor: string) {
      const old = (await deps.keys.list()).find((k) => k.accessKeyId === accessKeyId);
      if (!old) throw new ShirenError('not_found', `no access key ${accessKeyId}`);
      if (old.status !== 'active') throw new ShirenError('conflict', `access key ${accessKeyId} is already disabled`);
      const created = await deps.keys.create({ app: old.appName, actor });
      await deps.keys.disable(accessKeyId, actor);
      await deps.audit.record({
        actor,
        action: 'access_key.rotate',
        target: accessKeyId,
        details: { app: old.appName, replacedBy: created.accessKeyId },
      });
      return created;
    },
  };
}
export type ConsoleKeys = ReturnType<typeof createConsoleKeys>;
