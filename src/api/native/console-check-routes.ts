/**
 * Check records (docs/console.md "Check records"): every role searches the identity information checks by time, app,
 * kind, result and ID number (looked up by its keyed digest); answers hold masked ID numbers only.
 */
import type { FastifyInstance } from 'fastify';
import type { CheckRecordQuery, CheckRecords } from '../../verify/identity/check-records.js';

export function consoleCheckRoutes(app: FastifyInstance, deps: { checkRecords: CheckRecords }) {
  app.get(
    '/checks',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags: ['console'],
        summary: 'Identity check records, newest first (nextBefore pages)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', maxLength: 40 },
            to: { type: 'string', maxLength: 40 },
            app: { type: 'string', maxLength: 64 },
            kind: { type: 'string', maxLength: 32 },
            result: { type: 'string', description: 'consistent, inconsistent, no_record or refused' },
            idNumber: { type: 'string', maxLength: 32, description: 'the full number; matched by its digest' },
            before: { type: 'integer', minimum: 1 },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          },
        },
      },
    },
    async (request) => deps.checkRecords.search(request.query as CheckRecordQuery),
  );
}
