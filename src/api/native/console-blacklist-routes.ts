/**
 * Blacklist (docs/console.md, "Blacklist"): every role lists the entries (masked values only); admins and operators
 * add and remove them. Changes are audited by the blacklist service (src/verify/blacklist.ts).
 */
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../auth/console-auth.js';
import type { BlacklistInput, BlacklistService } from '../../verify/blacklist.js';
import type { BlacklistKind } from '../../store/schema.js';
import { consoleCtx } from './console-api.js';
import { deleteByIdRoute } from './console-route-parts.js';

const tags = ['console'];

export function consoleBlacklistRoutes(app: FastifyInstance, deps: { blacklist: BlacklistService }) {
  app.get(
    '/blacklist',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'Blacklisted ID numbers, client addresses and devices, newest first (masked values only)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: ['id_number', 'ip', 'device'] },
            active: { type: 'boolean', description: 'only entries that have not expired' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
          },
        },
      },
    },
    async (request) => {
      const q = request.query as { kind?: BlacklistKind; active?: boolean; limit: number };
      return {
        entries: await deps.blacklist.list({
          limit: q.limit,
          ...(q.kind ? { kind: q.kind } : {}),
          ...(q.active ? { activeOnly: true } : {}),
        }),
      };
    },
  );

  app.post(
    '/blacklist',
    {
      config: { consoleAccess: 'operate' },
      schema: {
        tags,
        summary: 'Blacklist an ID number, a client address or a device (only its digest and a masked value are kept)',
        body: {
          type: 'object',
          description:
            'kind (id_number | ip | device), value (device: digest or device id), appId (absent = every app), reason, expiresAt (ISO 8601)',
          additionalProperties: false,
          properties: {
            kind: {},
            value: {},
            appId: {},
            reason: {},
            expiresAt: {},
          },
        },
      },
    },
    async (request) => deps.blacklist.add(request.body as BlacklistInput, actorOf(consoleCtx(request))),
  );

  deleteByIdRoute(
    app,
    '/blacklist/:id',
    { access: 'operate', tags, summary: 'Remove a blacklist entry' },
    (id, actor) => deps.blacklist.remove(id, actor),
  );
}
