/**
 * Attempt limits (docs/console.md, "Attempt limits"): every role lists the rules; admins and operators create, change
 * and delete them. Validation and the audit entries are the strategy service's (src/verify/strategies.ts).
 */
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../auth/console-auth.js';
import type { StrategyService } from '../../verify/strategies.js';
import { consoleCtx } from './console-api.js';
import { deleteByIdRoute, integerIdParams } from './console-route-parts.js';

const tags = ['console'];
const body = {
  type: 'object',
  description:
    'dimension (id_number | device | ip), maxCount (1–100000), windowMinutes (1–43200), appId (null = every app), ' +
    "planId (null = every plan; sets the plan's app), enabled (default true). Checked by the service: 400 invalid_request " +
    'with details.field, also for unknown fields.',
} as const;

export function consoleStrategyRoutes(app: FastifyInstance, deps: { strategies: StrategyService }) {
  app.get(
    '/strategies',
    {
      config: { consoleAccess: 'read' },
      schema: { tags, summary: 'Attempt limits (control strategies), oldest first' },
    },
    async () => ({ strategies: await deps.strategies.list() }),
  );

  app.post(
    '/strategies',
    { config: { consoleAccess: 'operate' }, schema: { tags, summary: 'Create an attempt limit', body } },
    async (request) => deps.strategies.create(request.body, actorOf(consoleCtx(request))),
  );

  app.patch(
    '/strategies/:id',
    {
      config: { consoleAccess: 'operate' },
      schema: { tags, summary: 'Change an attempt limit ({"enabled":false} pauses it)', params: integerIdParams, body },
    },
    async (request) =>
      deps.strategies.update((request.params as { id: number }).id, request.body, actorOf(consoleCtx(request))),
  );

  deleteByIdRoute(
    app,
    '/strategies/:id',
    { access: 'operate', tags, summary: 'Delete an attempt limit' },
    (id, actor) => deps.strategies.remove(id, actor),
  );
}
