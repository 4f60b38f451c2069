/**
 * Whitelist settings (docs/console.md, "Whitelist"): every role lists the entries (masked values only); admins and
 * operators add and remove them. The whitelist service (src/verify/whitelist.ts) validates and audits.
 */
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../auth/console-auth.js';
import type { WhitelistInput, WhitelistService } from '../../verify/whitelist.js';
import { consoleCtx } from './console-api.js';
import { deleteByIdRoute } from './console-route-parts.js';

const tags = ['console'];

export function consoleWhitelistRoutes(app: FastifyInstance, deps: { whitelist: WhitelistService }) {
  app.get(
    '/whitelist',
    {
      config: { consoleAccess: 'read' },
      schema: {
        tags,
        summary: 'Whitelisted ID numbers per plan, newest first (masked values only)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            planId: { type: 'integer', minimum: 1 },
            active: { type: 'boolean', description: 'true: only valid entries; false: only expired ones' },
            idNumber: { type: 'string', maxLength: 64, description: 'entries of this ID number (by digest)' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
      },
    },
    async (request) => {
      const q = request.query as {
        planId?: number;
        active?: boolean;
        idNumber?: string;
        limit: number;
        offset: number;
      };
      return deps.whitelist.list({
        limit: q.limit,
        offset: q.offset,
        ...(q.planId !== undefined ? { planId: q.planId } : {}),
        ...(q.active !== undefined ? { active: q.active } : {}),
        ...(q.idNumber !== undefined ? { idNumber: q.idNumber } : {}),
      });
    },
  );

  app.post(
    '/whitelist',
    {
      config: { consoleAccess: 'operate' },
      schema: {
        tags,
        summary: 'Whitelist an ID number on a plan for 1–365 days (only its digest and a masked value are kept)',
        body: {
          type: 'object',
          description: 'planId, idNumber or certifyId (a session token of the same app), validDays (1–365), remark',
          additionalProperties: false,
          properties: { planId: {}, idNumber: {}, certifyId: {}, validDays: {}, remark: {} },
        },
      },
    },
    async (request) => deps.whitelist.add(request.body as WhitelistInput, actorOf(consoleCtx(request))),
  );

  deleteByIdRoute(
    app,
    '/whitelist/:id',
    { access: 'operate', tags, summary: 'Remove a whitelist entry (deleted for real)' },
    (id, actor) => deps.whitelist.remove(id, actor),
  );
}
