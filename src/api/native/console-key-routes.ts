/**
 * Apps and access keys: every role lists them (never secrets); operators and admins create, disable, rotate keys and
 * set an app's rate limit.
 */
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../auth/console-auth.js';
import type { ConsoleApiDeps } from './console-api.js';
import { consoleCtx } from './console-api.js';

const tags = ['console'];
const keyParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9]{1,64}$' } },
} as const;

export function consoleKeyRoutes(app: FastifyInstance, deps: ConsoleApiDeps) {
  app.get(
    '/apps',
    { config: { consoleAccess: 'read' }, schema: { tags, summary: 'Apps with their key counts' } },
    async () => ({ apps: await deps.keys.apps() }),
  );

  app.patch(
    '/apps/:id',
    {
      config: { consoleAccess: 'operate' },
      schema: {
        tags,
        summary: "Set an app's rate limit (requests per minute over all its keys, in each server process)",
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
        },
        body: {
          type: 'object',
          description:
            'rateLimitPerMinute: 1–1000000 or null (unlimited); rateLimitBurst: 1–1000000 or null (= the per-minute value)',
          properties: { rateLimitPerMinute: {}, rateLimitBurst: {} },
        },
      },
    },
    async (request) => ({
      app: await deps.keys.updateApp((request.params as { id: string }).id, request.body, actorOf(consoleCtx(request))),
    }),
  );

  app.get(
    '/keys',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'Access keys (without secrets)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { app: { type: 'string', maxLength: 64 } },
        },
      },
    },
    async (request) => ({ keys: await deps.keys.keys((request.query as { app?: string }).app) }),
  );

  app.post(
    '/keys',
    {
      config: { consoleAccess: 'operate' },
      schema: {
        tags,
        summary: 'Create an access key (the app is created when new); the secret is in this answer only',
        body: {
          type: 'object',
          required: ['app'],
          additionalProperties: false,
          properties: { app: { type: 'string', minLength: 1, maxLength: 64 } },
        },
      },
    },
    async (request) => ({
      key: await deps.keys.create((request.body as { app: string }).app, actorOf(consoleCtx(request))),
    }),
  );

  app.post(
    '/keys/:id/disable',
    {
      config: { consoleAccess: 'operate' },
      schema: { tags, summary: 'Disable an access key (refused from the next request on)', params: keyParams },
    },
    async (request, reply) => {
      await deps.keys.disable((request.params as { id: string }).id, actorOf(consoleCtx(request)));
      return reply.code(204).send();
    },
  );

  app.post(
    '/keys/:id/rotate',
    {
      config: { consoleAccess: 'operate' },
      schema: {
        tags,
        summary: 'Rotate an access key: a new key for the same app (secret shown once), the old one disabled',
        params: keyParams,
      },
    },
    async (request) => ({
      key: await deps.keys.rotate((request.params as { id: string }).id, actorOf(consoleCtx(request))),
    }),
  );
}
