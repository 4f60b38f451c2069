/**
 * Alerts (docs/console.md, "Alerts"): every role lists the rules and their recent events; only admins create, change
 * and delete rules (a rule's webhook URL points the server at an address, so it is the admin's to set). Every change
 * is audited by the alert service (src/verify/alerts.ts).
 */
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../auth/console-auth.js';
import type { AlertRuleInput, AlertService } from '../../verify/alerts.js';
import { consoleCtx } from './console-api.js';
import { deleteByIdRoute, integerIdParams } from './console-route-parts.js';

const tags = ['console'];
const rule = {
  type: 'object',
  description:
    'name, kind (pass_rate_below | ip_failures_above | volume_above), threshold, windowMinutes, minSessions, planId, webhookUrl, webhookSecret, enabled',
  additionalProperties: true,
} as const;

export function consoleAlertRoutes(app: FastifyInstance, deps: { alerts: AlertService }) {
  app.get(
    '/alerts/rules',
    { config: { consoleAccess: 'read' }, schema: { tags, summary: 'Alert rules (webhook secrets are never shown)' } },
    async () => ({ rules: await deps.alerts.listRules() }),
  );

  app.get(
    '/alerts/events',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'Alert events, newest first, with the outcome of their webhook',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            rule: { type: 'integer', minimum: 1 },
            before: { type: 'integer', minimum: 1, description: 'page: events with a smaller id' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
      },
    },
    async (request) => {
      const q = request.query as { rule?: number; before?: number; limit: number };
      return {
        events: await deps.alerts.listEvents({
          limit: q.limit,
          ...(q.rule !== undefined ? { ruleId: q.rule } : {}),
          ...(q.before !== undefined ? { beforeId: q.before } : {}),
        }),
      };
    },
  );

  app.post(
    '/alerts/rules',
    {
      config: { consoleAccess: 'admin' },
      schema: { tags, summary: 'Create an alert rule (a generated webhook secret is in this answer only)', body: rule },
    },
    async (request) => deps.alerts.createRule(request.body as AlertRuleInput, actorOf(consoleCtx(request))),
  );

  app.patch(
    '/alerts/rules/:id',
    {
      config: { consoleAccess: 'admin' },
      schema: {
        tags,
        summary: 'Change an alert rule, or disable it (enabled: false)',
        params: integerIdParams,
        body: rule,
      },
    },
    async (request) =>
      deps.alerts.updateRule(
        (request.params as { id: number }).id,
        request.body as AlertRuleInput,
        actorOf(consoleCtx(request)),
      ),
  );

  deleteByIdRoute(
    app,
    '/alerts/rules/:id',
    { access: 'admin', tags, summary: 'Delete an alert rule and its events' },
    (id, actor) => deps.alerts.deleteRule(id, actor),
  );
}
