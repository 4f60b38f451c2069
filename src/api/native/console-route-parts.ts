/** Pieces the console routes share (src/api/native/console-*-routes.ts). */
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../auth/console-auth.js';
import type { ConsoleAccess } from '../../auth/console-roles.js';
import { consoleCtx } from './console-api.js';

/** `:id` of a row with an integer key (blacklist, whitelist, attempt limits, alert rules, plans). */
export const integerIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1 } },
} as const;

/** `DELETE path` (path ends in `/:id`): `remove(id, actor)` — the service checks and audits — then 204. */
export function deleteByIdRoute(
  app: FastifyInstance,
  path: string,
  opts: { access: ConsoleAccess; tags: string[]; summary: string },
  remove: (id: number, actor: string) => Promise<unknown>,
) {
  app.delete(
    path,
    {
      config: { consoleAccess: opts.access },
      schema: { tags: opts.tags, summary: opts.summary, params: integerIdParams },
    },
    async (request, reply) => {
      await remove((request.params as { id: number }).id, actorOf(consoleCtx(request)));
      return reply.code(204).send();
    },
  );
}
