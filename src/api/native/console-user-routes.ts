/** Console users (admins change them, every role reads them) and the audit log. */
import type { FastifyInstance } from 'fastify';
import type { AuditLogRow } from '../../store/schema.js';
import { CONSOLE_ROLES } from '../../auth/console-roles.js';
import type { ConsoleApiDeps } from './console-api.js';
import { consoleCtx } from './console-api.js';

const tags = ['console'];
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^usr_[A-Za-z0-9]{1,64}$' } },
} as const;

const auditView = (a: AuditLogRow) => ({
  id: a.id,
  at: new Date(a.at).toISOString(),
  actor: a.actor,
  action: a.action,
  target: a.target,
  details: a.details ?? null,
});

export function consoleUserRoutes(app: FastifyInstance, deps: ConsoleApiDeps) {
  app.get('/users', { config: { consoleAccess: 'read' }, schema: { tags, summary: 'Console users' } }, async () => ({
    users: await deps.users.list(),
  }));

  app.post(
    '/users',
    {
      config: { consoleAccess: 'admin' },
      schema: {
        tags,
        summary: 'Create a console user (admin)',
        body: {
          type: 'object',
          required: ['username', 'password', 'role'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', maxLength: 64 },
            password: { type: 'string', maxLength: 256 },
            role: { type: 'string', enum: [...CONSOLE_ROLES] },
          },
        },
      },
    },
    async (request) => ({ user: await deps.users.create(consoleCtx(request), request.body as never) }),
  );

  app.patch(
    '/users/:id',
    {
      config: { consoleAccess: 'admin' },
      schema: {
        tags,
        summary: 'Change a console user: role, disabled, password reset (admin; the user is signed out)',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            role: { type: 'string', enum: [...CONSOLE_ROLES] },
            disabled: { type: 'boolean' },
            password: { type: 'string', maxLength: 256 },
          },
        },
      },
    },
    async (request) => ({
      user: await deps.users.update(consoleCtx(request), (request.params as { id: string }).id, request.body as never),
    }),
  );

  app.delete(
    '/users/:id',
    {
      config: { consoleAccess: 'admin' },
      schema: { tags, summary: 'Delete a console user (admin)', params: idParams },
    },
    async (request, reply) => {
      await deps.users.delete(consoleCtx(request), (request.params as { id: string }).id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/audit',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'The audit log, newest first (who, what, when)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            before: { type: 'integer', minimum: 1, description: 'page: entries with a smaller id' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            actor: { type: 'string', maxLength: 128 },
            action: { type: 'string', maxLength: 64, description: 'exact, or a prefix ending in "." (console_user.)' },
          },
        },
      },
    },
    async (request) => {
      const q = request.query as { before?: number; limit: number; actor?: string; action?: string };
      const rows = await deps.audit.list({
        limit: q.limit,
        ...(q.before !== undefined ? { beforeId: q.before } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.action ? { action: q.action } : {}),
      });
      return { entries: rows.map(auditView), nextBefore: rows.length === q.limit ? (rows.at(-1)?.id ?? null) : null };
    },
  );
}
