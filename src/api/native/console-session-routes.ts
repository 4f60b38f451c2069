/** Console sign-in, the current session, sign-out and the own-password change. */
import type { FastifyInstance } from 'fastify';
import type { ConsoleContext } from '../../auth/console-auth.js';
import { capabilities } from '../../auth/console-roles.js';
import type { ConsoleApiDeps } from './console-api.js';
import { clearSessionCookie, consoleCtx, setSessionCookie } from './console-api.js';

const tags = ['console'];
const sessionView = {
  type: 'object',
  properties: {
    user: {
      type: 'object',
      properties: { id: { type: 'string' }, username: { type: 'string' }, role: { type: 'string' } },
    },
    csrfToken: { type: 'string', description: 'send as x-csrf-token on every state-changing console request' },
    expiresAt: { type: 'string' },
    capabilities: {
      type: 'object',
      properties: { operate: { type: 'boolean' }, manageUsers: { type: 'boolean' } },
    },
  },
} as const;

const view = (ctx: ConsoleContext) => ({
  user: ctx.user,
  csrfToken: ctx.csrfToken,
  expiresAt: ctx.expiresAt.toISOString(),
  capabilities: capabilities(ctx.user.role),
});

export function consoleSessionRoutes(app: FastifyInstance, deps: ConsoleApiDeps) {
  app.post(
    '/session',
    {
      config: { consoleAccess: 'public' },
      schema: {
        tags,
        summary: 'Sign in to the console (sets the HttpOnly session cookie; answers the CSRF token)',
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 64 },
            password: { type: 'string', minLength: 1, maxLength: 256 },
          },
        },
        response: { 200: sessionView, 401: { $ref: 'ErrorEnvelope#' }, 429: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request, reply) => {
      const body = request.body as { username: string; password: string };
      const { sessionId, context } = await deps.auth.signIn({
        username: body.username,
        password: body.password,
        ip: request.ip,
        userAgent: request.headers['user-agent'],
      });
      setSessionCookie(request, reply, deps.publicUrl, sessionId, deps.auth.policy.absoluteSeconds);
      return view(context);
    },
  );

  app.get(
    '/session',
    {
      config: { consoleAccess: 'self' },
      schema: { tags, summary: 'The signed-in user, role and CSRF token', response: { 200: sessionView } },
    },
    async (request) => view(consoleCtx(request)),
  );

  app.delete(
    '/session',
    { config: { consoleAccess: 'self' }, schema: { tags, summary: 'Sign out' } },
    async (request, reply) => {
      await deps.auth.signOut(consoleCtx(request));
      clearSessionCookie(request, reply, deps.publicUrl);
      return reply.code(204).send();
    },
  );

  app.put(
    '/session/password',
    {
      config: { consoleAccess: 'self' },
      schema: {
        tags,
        summary: 'Change your own password (your other sessions end)',
        body: {
          type: 'object',
          required: ['currentPassword', 'newPassword'],
          additionalProperties: false,
          properties: {
            currentPassword: { type: 'string', maxLength: 256 },
            newPassword: { type: 'string', maxLength: 256 },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { currentPassword: string; newPassword: string };
      await deps.users.changeOwnPassword(consoleCtx(request), body.currentPassword, body.newPassword);
      return reply.code(204).send();
    },
  );
}
