/**
 * CSV exports of verification records (docs/console.md): queue one with the records-search filters, follow its
 * progress, download the file when done (audited). Every role may export: auditors read records, and an export is a
 * read. The file holds identities only masked.
 */
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../auth/console-auth.js';
import type { ExportQuery, ExportService } from '../../verify/exports.js';
import { consoleCtx } from './console-api.js';

const tags = ['console'];
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[a-f0-9]{32}$' } },
} as const;

export function consoleExportRoutes(app: FastifyInstance, exports: ExportService) {
  app.post(
    '/exports',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'Queue a CSV export of the records matching the filters of GET /records (runs in the background)',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', maxLength: 40 },
            to: { type: 'string', maxLength: 40 },
            app: { type: 'string', maxLength: 64 },
            planId: { type: 'integer', minimum: 1 },
            status: { type: 'string', enum: ['created', 'in_progress', 'passed', 'failed', 'expired'] },
            resultCode: { type: 'string', maxLength: 64 },
            outerOrderNo: { type: 'string', maxLength: 64 },
            idNumber: { type: 'string', maxLength: 32, description: 'stored only as its keyed digest' },
          },
        },
      },
    },
    async (request, reply) => {
      const job = await exports.create((request.body ?? {}) as ExportQuery, actorOf(consoleCtx(request)));
      return reply.code(202).send(job);
    },
  );

  app.get(
    '/exports/:id',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'An export: status, rows done of rows total, download link when done',
        params: idParams,
      },
    },
    async (request) => exports.get((request.params as { id: string }).id),
  );

  app.get(
    '/exports/:id/download',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'The CSV of a finished export (text/csv, UTF-8 with BOM; audited). 409 while not done or once expired',
        params: idParams,
      },
    },
    async (request, reply) => {
      const { csv, filename } = await exports.download(
        (request.params as { id: string }).id,
        actorOf(consoleCtx(request)),
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('x-content-type-options', 'nosniff')
        .send(csv);
    },
  );
}
