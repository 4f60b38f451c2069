/**
 * The H5 capture page's API under /h5/api, authorised by the session token in the path (no access key), plus the
 * built page (web/h5/dist) at /h5/ and the demo entry GET /h5/demo. Errors use the native envelope. The page never
 * sees scores: only outcomes, reason codes and messages.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { abortWhenClientGone } from '../common/abort.js';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ShirenError } from '../../errors.js';
import { DEVICE_HEADER, normaliseDeviceId, type SessionService } from '../../verify/sessions.js';
import { sendNativeError } from '../common/errors.js';

export interface H5ApiDeps {
  sessions: SessionService;
  /** Serve GET /h5/demo (SHIREN_H5_DEMO). */
  demo: boolean;
  /** The built page; default web/h5/dist of the package. */
  distDir?: string;
}

/** Largest attempt upload (4–40 JPEG frames as base64). */
export const H5_ATTEMPT_BODY_LIMIT = 16 * 1024 * 1024;

const DEFAULT_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/h5/dist');

const tokenParams = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', pattern: '^[A-Za-z0-9]{24}$' } },
} as const;

const errors = {
  400: { $ref: 'ErrorEnvelope#' },
  404: { $ref: 'ErrorEnvelope#' },
  409: { $ref: 'ErrorEnvelope#' },
  410: { $ref: 'ErrorEnvelope#' },
  413: { $ref: 'ErrorEnvelope#' },
  429: { $ref: 'ErrorEnvelope#' },
  503: { $ref: 'ErrorEnvelope#' },
} as const;

const masked = {
  type: 'object',
  nullable: true,
  properties: { name: { type: 'string' }, idNumber: { type: 'string' } },
} as const;

const tokenOf = (request: FastifyRequest) => (request.params as { token: string }).token;
/** The page's device id (x-shiren-device), checked for every /h5/api request by the onRequest hook below. */
const deviceOf = (request: FastifyRequest) => {
  const v = request.headers[DEVICE_HEADER];
  return normaliseDeviceId(Array.isArray(v) ? v.join(',') : v);
};
const clientOf = (request: FastifyRequest) => {
  const device = deviceOf(request);
  return {
    ip: request.ip,
    ...(typeof request.headers['user-agent'] === 'string' ? { userAgent: request.headers['user-agent'] } : {}),
    ...(device !== undefined ? { device } : {}),
  };
};

const sessionApi: FastifyPluginAsync<H5ApiDeps> = async (app, deps) => {
  const { sessions } = deps;
  app.setErrorHandler((err, request, reply) => sendNativeError(err, request, reply));
  app.addHook('onSend', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
  });
  // A malformed device id is refused on every route (400 invalid_request, details.field x-shiren-device).
  app.addHook('onRequest', async (request) => {
    deviceOf(request);
  });

  app.get(
    '/sessions/:token',
    {
      schema: {
        tags: ['h5'],
        summary: 'What the page needs to run the session (never scores)',
        params: tokenParams,
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['created', 'in_progress', 'passed', 'failed', 'expired'] },
              livenessMode: { type: 'string' },
              actionCount: { type: 'integer' },
              identityInput: { type: 'string' },
              needsIdentity: { type: 'boolean' },
              identity: masked,
              compareSource: { type: 'string' },
              attemptsLeft: { type: 'integer' },
              expiresAt: { type: 'string' },
              redirectUrl: { type: 'string', nullable: true },
              locale: { type: 'string', description: 'zh-CN or en, from Accept-Language' },
              mediaRetentionHours: { type: 'integer', description: 'captured photos are deleted after this' },
              resultRetentionHours: { type: 'integer', description: 'the result is deleted after this' },
            },
          },
          ...errors,
        },
      },
    },
    async (request) => sessions.h5State(tokenOf(request), request.headers['accept-language']),
  );

  app.post(
    '/sessions/:token/identity',
    {
      schema: {
        tags: ['h5'],
        summary: 'The person enters name and ID number (plans with identityInput user), before the first attempt',
        params: tokenParams,
        body: {
          type: 'object',
          required: ['name', 'idNumber'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 64 },
            idNumber: { type: 'string', minLength: 6, maxLength: 32 },
          },
        },
        response: { 200: { type: 'object', properties: { identity: masked } }, ...errors },
      },
    },
    async (request) => sessions.h5Identity(tokenOf(request), request.body as object),
  );

  app.post(
    '/sessions/:token/challenge',
    {
      schema: {
        tags: ['h5'],
        summary: 'A single-use challenge: nonce, ordered actions or colours, timing, deadline',
        params: tokenParams,
        response: {
          200: {
            type: 'object',
            properties: {
              challengeId: { type: 'string' },
              mode: { type: 'string' },
              actions: { type: 'array', items: { type: 'string' } },
              colours: { type: 'array', items: { type: 'string' } },
              stepMs: { type: 'integer' },
              colourMs: { type: 'integer' },
              maxDurationMs: { type: 'integer' },
              expiresAt: { type: 'string' },
            },
            additionalProperties: true,
          },
          ...errors,
        },
      },
    },
    async (request) => sessions.issueChallenge(tokenOf(request), clientOf(request)),
  );

  app.post(
    '/sessions/:token/attempts',
    {
      bodyLimit: H5_ATTEMPT_BODY_LIMIT,
      schema: {
        tags: ['h5'],
        summary: 'Submit the frames captured during the challenge; the server analyses, verifies and decides',
        params: tokenParams,
        body: {
          type: 'object',
          required: ['challengeId', 'frames'],
          properties: {
            challengeId: { type: 'string', minLength: 1, maxLength: 128 },
            frames: {
              type: 'array',
              minItems: 4,
              maxItems: 40,
              items: {
                type: 'object',
                required: ['t', 'step', 'image'],
                properties: {
                  t: { type: 'number', description: 'ms since the challenge was shown (client clock)' },
                  step: { type: 'string', maxLength: 64, description: 'neutral, an action, or flash:#RRGGBB' },
                  image: { type: 'string', minLength: 1, description: 'base64 JPEG' },
                },
              },
            },
            client: { type: 'object', additionalProperties: true },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              outcome: { type: 'string', enum: ['passed', 'failed', 'retry'] },
              code: { type: 'string' },
              message: { type: 'string' },
              attemptsLeft: { type: 'integer' },
              redirectUrl: { type: 'string', nullable: true },
              receipt: {
                type: 'string',
                description:
                  'signed receipt of this attempt for the operator (Volcengine sdk_data, docs/volcengine.md)',
              },
            },
          },
          ...errors,
        },
      },
    },
    async (request, reply) =>
      sessions.submitAttempt(
        tokenOf(request),
        request.body as { challengeId: string; frames: unknown },
        clientOf(request),
        abortWhenClientGone(reply),
      ),
  );
};

/** Registers /h5/api/…, /h5/demo and the page at /h5/. */
export async function registerH5(app: FastifyInstance, deps: H5ApiDeps): Promise<void> {
  await app.register(sessionApi, { ...deps, prefix: '/h5/api' });

  app.get(
    '/h5/demo',
    { schema: { tags: ['h5'], summary: 'Start a demo session and open the page' } },
    async (request, reply) => {
      if (!deps.demo) throw new ShirenError('not_found', 'the H5 demo is switched off (SHIREN_H5_DEMO=off)');
      const s = await deps.sessions.demo({ ip: request.ip });
      return reply.redirect(`/h5/?token=${s.token}`, 302);
    },
  );

  const dist = deps.distDir ?? DEFAULT_DIST;
  if (existsSync(path.join(dist, 'index.html'))) {
    await app.register(fastifyStatic, { root: dist, prefix: '/h5/', redirect: true, decorateReply: false });
  } else {
    const notBuilt = async () => {
      throw new ShirenError('not_found', 'H5 page not built: npm run build');
    };
    app.get('/h5', { schema: { hide: true } }, notBuilt);
    app.get('/h5/', { schema: { hide: true } }, notBuilt);
    app.get('/h5/*', { schema: { hide: true } }, notBuilt);
  }
}
