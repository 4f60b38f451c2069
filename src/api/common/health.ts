/** Liveness (/healthz: the process answers) and readiness (/readyz: database reachable, face engine loaded). */
import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  name: string;
  /** Resolves with a status; throws or returns ok=false when not ready. */
  check(): Promise<{ ok: boolean; detail?: string }>;
}

const statusSchema = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    checks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { ok: { type: 'boolean' }, detail: { type: 'string' } },
      },
    },
  },
} as const;

export function registerHealth(app: FastifyInstance, checks: ReadinessCheck[]) {
  app.get(
    '/healthz',
    { schema: { tags: ['system'], summary: 'Process is up', response: { 200: statusSchema } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['system'],
        summary: 'Ready to serve: database reachable and face engine loaded',
        response: { 200: statusSchema, 503: statusSchema },
      },
    },
    async (_request, reply) => {
      const results: Record<string, { ok: boolean; detail?: string }> = {};
      await Promise.all(
        checks.map(async (c) => {
          try {
            results[c.name] = await c.check();
          } catch (err) {
            results[c.name] = { ok: false, detail: (err as Error).message };
          }
        }),
      );
      const ok = Object.values(results).every((r) => r.ok);
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks: results });
    },
  );
}
