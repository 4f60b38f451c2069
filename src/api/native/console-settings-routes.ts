/**
 * Settings and storage usage (docs/console.md, "Settings"): every role reads the runtime settings (with where each
 * value comes from) and the storage usage; only admins change settings (audited by src/verify/settings.ts).
 */
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../auth/console-auth.js';
import type { SettingsService, SettingsUpdate } from '../../verify/settings.js';
import type { StorageUsageService } from '../../verify/storage-usage.js';
import { consoleCtx } from './console-api.js';

const tags = ['console'];

export function consoleSettingsRoutes(
  app: FastifyInstance,
  deps: { settings: SettingsService; storage?: StorageUsageService },
) {
  app.get(
    '/settings',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'Runtime settings: value, source (console | env | default), start-up value, who saved it',
      },
    },
    async () => deps.settings.list(),
  );

  app.put(
    '/settings',
    {
      config: { consoleAccess: 'admin' },
      schema: {
        tags,
        summary:
          'Save settings in the console (values) and/or go back to their start-up values (reset); all or nothing',
        body: {
          type: 'object',
          description: '{"values": {"<key>": value, …}, "reset": ["<key>", …]}',
          additionalProperties: false,
          properties: { values: {}, reset: {} },
        },
      },
    },
    async (request) => deps.settings.update((request.body ?? {}) as SettingsUpdate, actorOf(consoleCtx(request))),
  );

  const storage = deps.storage;
  if (storage)
    app.get(
      '/storage',
      {
        config: { consoleAccess: 'read' },
        schema: {
          tags,
          summary: 'Storage usage: blob store objects and bytes by area, database size (cached 60 s unless fresh)',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { fresh: { type: 'boolean', default: false } },
          },
        },
      },
      async (request) => storage.get({ fresh: (request.query as { fresh: boolean }).fresh }),
    );
}
