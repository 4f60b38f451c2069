/** Verification records across apps: search, detail, audit images, deletion (operators and admins). */
import type { FastifyInstance } from 'fastify';
import type { RecordQuery } from '../../verify/records.js';
import type { BreakdownQuery, StatisticsQuery } from '../../verify/statistics.js';
import { MAX_PAGE } from '../../verify/records.js';
import type { ConsoleApiDeps } from './console-api.js';
import { consoleCtx } from './console-api.js';
import { actorOf } from '../../auth/console-auth.js';

const tags = ['console'];
const tokenParams = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', pattern: '^[A-Za-z0-9]{24}$' } },
} as const;

export function consoleRecordRoutes(app: FastifyInstance, deps: ConsoleApiDeps) {
  app.get(
    '/records',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'Search verification records of every app, newest first (keyset pages: cursor)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', maxLength: 40, description: 'created at or after (ISO 8601)' },
            to: { type: 'string', maxLength: 40, description: 'created before (ISO 8601)' },
            app: { type: 'string', maxLength: 64, description: 'app name' },
            planId: { type: 'integer', minimum: 1 },
            status: { type: 'string', enum: ['created', 'in_progress', 'passed', 'failed', 'expired'] },
            resultCode: { type: 'string', maxLength: 64 },
            outerOrderNo: { type: 'string', maxLength: 64 },
            idNumber: {
              type: 'string',
              maxLength: 32,
              description: 'the full ID number; matched by its keyed digest, never stored or logged',
            },
            cursor: { type: 'string', maxLength: 200, description: 'nextCursor of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 50 },
          },
        },
      },
    },
    async (request) => deps.records.search(request.query as RecordQuery),
  );

  app.get(
    '/statistics',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'Sessions per hour or day by outcome, and result codes, over a time window',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: {
              type: 'string',
              maxLength: 40,
              description: 'default: 30 days (unit day) or 1 day (unit hour) before to',
            },
            to: { type: 'string', maxLength: 40, description: 'default: now' },
            unit: { type: 'string', enum: ['hour', 'day'], default: 'day' },
            timeZone: { type: 'string', maxLength: 64, description: 'IANA time zone of the buckets, default UTC' },
            app: { type: 'string', maxLength: 64 },
            planId: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (request) => deps.statistics.get(request.query as StatisticsQuery),
  );

  app.get(
    '/statistics/breakdown',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'Sessions of a window by plan, app, device OS, ID-number province, failure stage or result code',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            by: {
              type: 'string',
              maxLength: 16,
              description: 'plan | app | os | province | stage | reason (checked by the service: details.field)',
            },
            from: { type: 'string', maxLength: 40, description: 'default: 30 days before to' },
            to: { type: 'string', maxLength: 40, description: 'default: now' },
            app: { type: 'string', maxLength: 64 },
            planId: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (request) => deps.statistics.breakdown(request.query as BreakdownQuery),
  );

  app.get(
    '/records/:token',
    {
      config: { consoleAccess: 'read' },
      schema: { tags, summary: 'One record: result, scores, thresholds, attempts, analysis', params: tokenParams },
    },
    async (request) => deps.records.detail((request.params as { token: string }).token),
  );

  app.get(
    '/records/:token/images/:kind',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'An audit image of a record: the best frame or the environment frame (JPEG)',
        params: {
          type: 'object',
          required: ['token', 'kind'],
          properties: { ...tokenParams.properties, kind: { type: 'string', enum: ['best', 'env'] } },
        },
      },
    },
    async (request, reply) => {
      const p = request.params as { token: string; kind: 'best' | 'env' };
      const bytes = await deps.records.image(p.token, p.kind);
      return reply.type('image/jpeg').header('cache-control', 'no-store').send(bytes);
    },
  );

  app.delete(
    '/records/:token',
    {
      config: { consoleAccess: 'operate' },
      schema: { tags, summary: 'Delete a record for real (rows and images; audited)', params: tokenParams },
    },
    async (request, reply) => {
      await deps.records.delete((request.params as { token: string }).token, actorOf(consoleCtx(request)));
      return reply.code(204).send();
    },
  );
}
