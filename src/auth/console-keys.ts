/**
 * Apps and access keys as the console manages them, on top of src/auth/access-keys.ts: list apps with their key
 * counts, create a key (its secret is returned once and never again), disable one (it stops working on the next
 * request: every protocol resolves keys from the database), and rotate one (a new key in the same app, the old one
 * disabled at once).
 */
import { ShirenError } from '../errors.js';
import type { AppRepo } from '../store/repos/app-repo.js';
import type { AuditRepo } from '../store/repos/audit-repo.js';
import type { AccessKeyService, AccessKeySummary } from './access-keys.js';

export interface AppView {
  id: string;
  name: string;
  createdAt: string;
  disabledAt: string | null;
  keys: { active: number; disabled: number };
}

export function createConsoleKeys(deps: { apps: AppRepo; keys: AccessKeyService; audit: AuditRepo }) {
  return {
    async apps(): Promise<AppView[]> {
      const [apps, keys] = await Promise.all([deps.apps.list(), deps.keys.list()]);
      return apps.map((a) => ({
        id: a.id,
        name: a.name,
        createdAt: new Date(a.created_at).toISOString(),
        disabledAt: a.disabled_at ? new Date(a.disabled_at).toISOString() : null,
        keys: {
          active: keys.filter((k) => k.appId === a.id && k.status === 'active').length,
          disabled: keys.filter((k) => k.appId === a.id && k.status === 'disabled').length,
        },
      }));
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
