/**
 * Plans (scenes) of every app: every role lists them; operators and admins create and change them through the plan
 * service (src/verify/plans.ts), which validates every setting and audits the change, and start a preview session
 * of a plan: a real session (marked preview, left out of statistics and alerts) whose H5 link the page opens.
 */
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../auth/console-auth.js';
import { ShirenError } from '../../errors.js';
import type { PlanInput } from '../../verify/plans.js';
import type { ConsoleApiDeps } from './console-api.js';
import { consoleCtx } from './console-api.js';
import { integerIdParams } from './console-route-parts.js';

const tags = ['console'];
const settings = {
  type: 'object',
  description: 'the settings of POST /v1/plans (docs/sessions.md)',
  additionalProperties: true,
} as const;

export function consolePlanRoutes(app: FastifyInstance, deps: ConsoleApiDeps) {
  const planOf = async (id: number) => {
    const plan = await deps.plans.findAny(id);
    if (!plan) throw new ShirenError('not_found', `no plan ${id}`);
    return plan;
  };

  app.get(
    '/plans',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'Plans of every app (callback secrets are never shown)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { app: { type: 'string', maxLength: 64 } },
        },
      },
    },
    async (request) => {
      const only = (request.query as { app?: string }).app;
      const apps = new Map((await deps.keys.apps()).map((a) => [a.id, a.name]));
      const plans = (await deps.plans.listAll())
        .map(({ appId, ...p }) => ({ ...p, app: { id: appId, name: apps.get(appId) ?? appId } }))
        .filter((p) => !only || p.app.name === only);
      return { plans };
    },
  );

  app.post(
    '/plans',
    {
      config: { consoleAccess: 'operate' },
      schema: {
        tags,
        summary: 'Create a plan in an app (a generated callback secret is in this answer only)',
        body: {
          type: 'object',
          required: ['app', 'settings'],
          additionalProperties: false,
          properties: { app: { type: 'string', minLength: 1, maxLength: 64 }, settings },
        },
      },
    },
    async (request) => {
      const body = request.body as { app: string; settings: PlanInput };
      const target = (await deps.keys.apps()).find((a) => a.name === body.app);
      if (!target) throw new ShirenError('not_found', `no app ${body.app}`, { details: { field: 'app' } });
      return deps.plans.create(target.id, body.settings, actorOf(consoleCtx(request)));
    },
  );

  app.patch(
    '/plans/:id',
    {
      config: { consoleAccess: 'operate' },
      schema: {
        tags,
        summary: 'Change a plan, or disable it (disabled: true) so it takes no new sessions',
        params: integerIdParams,
        body: settings,
      },
    },
    async (request) => {
      const id = (request.params as { id: number }).id;
      const plan = await planOf(id);
      return deps.plans.update(plan.appId, id, request.body as PlanInput, actorOf(consoleCtx(request)));
    },
  );

  app.post(
    '/plans/:id/preview',
    {
      config: { consoleAccess: 'operate' },
      schema: {
        tags,
        summary: 'Start a preview session of a plan: its H5 link, valid like any session link',
        description:
          'A real session of the plan, marked preview: it is recorded and shown in the records, but statistics and ' +
          'alert rules leave it out. What the plan needs at creation is given here: identity (preset plans), ' +
          'referenceImage (uploaded), previousToken (previous).',
        params: integerIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            identity: {
              type: 'object',
              required: ['name', 'idNumber'],
              additionalProperties: false,
              properties: { name: { type: 'string' }, idNumber: { type: 'string' } },
            },
            referenceImage: { type: 'string' },
            previousToken: { type: 'string', maxLength: 128 },
          },
        },
      },
    },
    async (request) => {
      if (!deps.sessions) throw new ShirenError('not_supported', 'previews are not available in this server');
      const id = (request.params as { id: number }).id;
      const plan = await planOf(id);
      const body = (request.body ?? {}) as { identity?: { name: string; idNumber: string } } & Record<string, string>;
      const actor = actorOf(consoleCtx(request));
      const s = await deps.sessions.create(
        plan.appId,
        {
          planId: id,
          outerOrderNo: `preview-${consoleCtx(request).user.username}`.slice(0, 128),
          ...(body.identity ? { identity: body.identity } : {}),
          ...(body.referenceImage !== undefined ? { referenceImage: body.referenceImage } : {}),
          ...(body.previousToken !== undefined ? { previousToken: body.previousToken } : {}),
        },
        actor,
        { preview: true },
      );
      return { token: s.token, url: s.url, expiresAt: s.expiresAt };
    },
  );
}
