/**
 * Native session endpoints: create a session on a plan, preset its identity and reference image, read its result and
 * audit images, delete it. An app sees only its own sessions (another app's token is not_found).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/access-keys.js';
import { ShirenError } from '../../errors.js';
import type { CreateSessionInput, SessionService } from '../../verify/sessions.js';

const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { hmac: [] }];
const errors = {
  400: { $ref: 'ErrorEnvelope#' },
  401: { $ref: 'ErrorEnvelope#' },
  404: { $ref: 'ErrorEnvelope#' },
  409: { $ref: 'ErrorEnvelope#' },
  410: { $ref: 'ErrorEnvelope#' },
  413: { $ref: 'ErrorEnvelope#' },
  422: { $ref: 'ErrorEnvelope#' },
  503: { $ref: 'ErrorEnvelope#' },
} as const;

const identity = {
  type: 'object',
  required: ['name', 'idNumber'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    idNumber: { type: 'string', minLength: 6, maxLength: 32, description: '18-digit mainland numbers are checksummed' },
  },
} as const;

const imageField = {
  type: 'string',
  minLength: 1,
  description: 'the image as base64 or a data URL; must show exactly one face',
} as const;

const tokenParams = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', pattern: '^[A-Za-z0-9]{24}$' } },
} as const;

const nullableNumber = { type: 'number', nullable: true } as const;
const masked = {
  type: 'object',
  nullable: true,
  properties: { name: { type: 'string' }, idNumber: { type: 'string' } },
} as const;

const sessionView = {
  type: 'object',
  properties: {
    sessionId: { type: 'string' },
    token: { type: 'string' },
    planId: { type: 'integer' },
    status: { type: 'string', enum: ['created', 'in_progress', 'passed', 'failed', 'expired'] },
    outerOrderNo: { type: 'string', nullable: true },
    createdAt: { type: 'string' },
    expiresAt: { type: 'string' },
    finishedAt: { type: 'string', nullable: true },
    identity: { ...masked, description: 'masked: 110***********1234, 张*' },
    referenceImage: { type: 'boolean' },
    result: {
      type: 'object',
      nullable: true,
      properties: {
        passed: { type: 'boolean' },
        code: { type: 'string' },
        message: { type: 'string' },
        score: nullableNumber,
        threshold: nullableNumber,
        livenessScore: nullableNumber,
        livenessThreshold: nullableNumber,
      },
    },
    attempts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          order: { type: 'integer' },
          startedAt: { type: 'string' },
          finishedAt: { type: 'string' },
          passed: { type: 'boolean' },
          code: { type: 'string' },
          message: { type: 'string' },
          score: nullableNumber,
          threshold: nullableNumber,
          livenessScore: nullableNumber,
          engineCalls: { type: 'integer', description: 'charge counter: face-engine calls of this attempt' },
        },
      },
    },
    attemptsLeft: { type: 'integer' },
    charges: {
      type: 'object',
      properties: { engineCalls: { type: 'integer' }, compares: { type: 'integer' } },
    },
    images: {
      type: 'object',
      description: 'audit images available at GET /v1/sessions/:token/images/best|env',
      properties: {
        best: { type: 'boolean' },
        env: { type: 'boolean' },
        availableUntil: { type: 'string', nullable: true },
      },
    },
    resultAvailableUntil: { type: 'string' },
  },
} as const;

function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new ShirenError('unauthorized');
  return request.principal;
}

const tokenOf = (request: FastifyRequest) => (request.params as { token: string }).token;

export function sessionRoutes(sessions: SessionService) {
  return (app: FastifyInstance) => {
    app.post(
      '/sessions',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Create a verification session: a token valid 2 h and the H5 URL to hand to the person',
          security,
          body: {
            type: 'object',
            required: ['planId'],
            additionalProperties: false,
            properties: {
              planId: { type: 'integer', minimum: 1 },
              outerOrderNo: { type: 'string', maxLength: 128, description: "the operator's own reference" },
              identity: { ...identity, description: 'for plans with identityInput preset' },
              referenceImage: { ...imageField, description: 'for plans with compareSource uploaded' },
              previousToken: {
                type: 'string',
                pattern: '^[A-Za-z0-9]{24}$',
                description: 'for plans with compareSource previous: a passed session to compare with',
              },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                sessionId: { type: 'string' },
                token: { type: 'string' },
                url: { type: 'string' },
                expiresAt: { type: 'string' },
              },
            },
            ...errors,
          },
        },
      },
      async (request) => {
        const p = principal(request);
        return sessions.create(p.appId, request.body as CreateSessionInput, p.accessKeyId);
      },
    );

    app.put(
      '/sessions/:token/identity',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Preset the name and ID number (plans with identityInput preset); stored encrypted',
          security,
          params: tokenParams,
          body: identity,
          response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } }, ...errors },
        },
      },
      async (request) => {
        const p = principal(request);
        await sessions.setIdentity(p.appId, tokenOf(request), request.body as object, p.accessKeyId);
        return { ok: true };
      },
    );

    app.put(
      '/sessions/:token/reference',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Upload the reference image to compare with (plans with compareSource uploaded)',
          security,
          params: tokenParams,
          body: {
            type: 'object',
            required: ['image'],
            additionalProperties: false,
            properties: { image: imageField },
          },
          response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } }, ...errors },
        },
      },
      async (request) => {
        const p = principal(request);
        await sessions.setReference(
          p.appId,
          tokenOf(request),
          (request.body as { image: string }).image,
          p.accessKeyId,
        );
        return { ok: true };
      },
    );

    app.get(
      '/sessions',
      {
        schema: {
          tags: ['sessions'],
          summary: "The app's sessions, newest first: find them by outerOrderNo, plan and status (identities masked)",
          security,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              outerOrderNo: { type: 'string', maxLength: 128 },
              planId: { type: 'integer', minimum: 1 },
              status: { type: 'string', enum: ['created', 'in_progress', 'passed', 'failed', 'expired'] },
              before: { type: 'string', description: 'ISO time: sessions created before it (the next page)' },
              limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                sessions: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      token: { type: 'string' },
                      planId: { type: 'integer' },
                      status: { type: 'string' },
                      outerOrderNo: { type: 'string', nullable: true },
                      createdAt: { type: 'string' },
                      finishedAt: { type: 'string', nullable: true },
                      identity: masked,
                      resultCode: { type: 'string', nullable: true },
                    },
                  },
                },
              },
            },
            ...errors,
          },
        },
      },
      async (request) => ({
        sessions: await sessions.list(principal(request).appId, request.query as Parameters<typeof sessions.list>[1]),
      }),
    );

    app.get(
      '/sessions/:token',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Status, attempts (with scores and thresholds), result and audit-image availability',
          security,
          params: tokenParams,
          response: { 200: sessionView, ...errors },
        },
      },
      async (request) => sessions.get(principal(request).appId, tokenOf(request)),
    );

    app.get(
      '/sessions/:token/images/:kind',
      {
        schema: {
          tags: ['sessions'],
          summary: "The attempt's best frame or environment frame (JPEG), while media retention keeps it",
          security,
          params: {
            type: 'object',
            required: ['token', 'kind'],
            properties: { ...tokenParams.properties, kind: { type: 'string', enum: ['best', 'env'] } },
          },
          response: { 200: { type: 'string', format: 'binary', description: 'image/jpeg' }, ...errors },
        },
      },
      async (request, reply) => {
        const { kind } = request.params as { kind: 'best' | 'env' };
        const bytes = await sessions.image(principal(request).appId, tokenOf(request), kind);
        return reply.type('image/jpeg').header('cache-control', 'no-store').send(bytes);
      },
    );

    app.delete(
      '/sessions/:token',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Delete the session now: personal data, attempts, callbacks and images (audit-logged)',
          security,
          params: tokenParams,
          response: { 200: { type: 'object', properties: { deleted: { type: 'boolean' } } }, ...errors },
        },
      },
      async (request) => {
        const p = principal(request);
        await sessions.delete(p.appId, tokenOf(request), p.accessKeyId);
        return { deleted: true };
      },
    );
  };
}
