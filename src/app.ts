/**
 * Builds the Fastify application (without listening): common plumbing, system routes, API docs and the protocol
 * adapters. Tests call buildApp and use inject; src/server.ts listens and shuts down.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import './api/common/fastify-types.js';
import { ShirenError } from './errors.js';
import { errorEnvelopeSchema, sendNativeError } from './api/common/errors.js';
import { registerHealth, type ReadinessCheck } from './api/common/health.js';
import { loggerOptions } from './api/common/logging.js';
import { createMetrics, registerMetrics, type Metrics } from './api/common/metrics.js';
import { aliyunApi, aliyunRewrite, type AliyunApiDeps } from './api/aliyun/index.js';
import { registerBaidu, type BaiduApiDeps } from './api/baidu/index.js';
import { registerH5, type H5ApiDeps } from './api/h5/index.js';
import { volcengineApi, volcengineRewrite, type VolcengineApiDeps } from './api/volcengine/index.js';
import { nativeApi } from './api/native/index.js';
import { consoleApi, type ConsoleApiDeps } from './api/native/console-api.js';
import { registerConsolePage } from './api/native/console-page.js';
import type { Core } from './core.js';

export const VERSION = '0.1.0';
const INBOUND_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BuildAppOptions {
  core: Pick<Core, 'config' | 'store' | 'authenticate'>;
  /** Extra readiness checks (the face engine adds one). */
  readiness?: ReadinessCheck[];
  /** Route groups for the native API, registered under /v1 behind authentication. */
  nativeRoutes?: ((app: FastifyInstance) => Promise<void> | void)[];
  /** Metric gauges registered by other components. */
  onMetrics?: (metrics: Metrics) => void;
  /** The H5 page's API (/h5/api), the built page (/h5/) and the demo (/h5/demo). */
  h5?: H5ApiDeps;
  /** The Alibaba Cloud Cloudauth (2019-03-07) RPC endpoint under /aliyun/ and at / for requests carrying an Action. */
  aliyun?: AliyunApiDeps;
  /** Baidu faceprint H5: /oauth/2.0/token and /rpc/2.0/brain/solution/faceprint/… (docs/baidu.md). */
  baidu?: BaiduApiDeps;
  /** Volcengine VerifyPro (cv 2022-08-31) under /volcengine/ and at / for Volcengine-signed or -versioned calls. */
  volcengine?: VolcengineApiDeps;
  /** The operator console: its API under /v1/console (cookie sessions, docs/console.md) and the page at /console/. */
  console?: ConsoleApiDeps;
  /** Override the logger (tests pass false). */
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = opts.core;
  const trustInboundId = config.trustProxy !== false;
  const app = Fastify({
    logger: opts.logger ?? loggerOptions(config.logLevel),
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    connectionTimeout: 60_000,
    requestTimeout: 120_000,
    requestIdHeader: false,
    // Cloudauth SDKs call the endpoint root; GET / without an Action keeps answering the service index.
    // Volcengine calls at / are recognised first (Version 2022-08-31 or an HMAC-SHA256 Credential header).
    ...(opts.aliyun || opts.volcengine
      ? {
          rewriteUrl: (req: IncomingMessage) =>
            (opts.volcengine ? volcengineRewrite(req) : undefined) ??
            (opts.aliyun ? aliyunRewrite(req) : undefined) ??
            req.url ??
            '/',
        }
      : {}),
    genReqId(req) {
      const inbound = req.headers['x-request-id'];
      if (trustInboundId && typeof inbound === 'string' && INBOUND_REQUEST_ID.test(inbound)) return inbound;
      return randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });

  app.decorateRequest('principal', undefined);
  app.decorateRequest('rawBody', undefined);
  app.decorateRequest('shirenReason', undefined);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.setErrorHandler((err, request, reply) => sendNativeError(err, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendNativeError(
      new ShirenError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    ),
  );
  app.addSchema(errorEnvelopeSchema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Shiren API',
        version: VERSION,
        description:
          'Self-hosted real-person identity verification. Native API under /v1; errors use one envelope ' +
          '{"error":{"code","message","details"},"request_id"}; every response carries x-request-id.',
      },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'Authorization: Bearer <AccessKeyId>:<AccessKeySecret>',
          },
          hmac: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description:
              'SHIREN-HMAC-SHA256 Credential=<AccessKeyId>, Timestamp=<unix s>, Nonce=<nonce>, Signature=<hex> (docs/api-auth.md)',
          },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false }, staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const metrics = createMetrics();
  registerMetrics(app, metrics);
  opts.onMetrics?.(metrics);

  registerHealth(app, [
    {
      name: 'database',
      check: async () => {
        await opts.core.store.ping();
        return { ok: true, detail: opts.core.store.kind };
      },
    },
    ...(opts.readiness ?? []),
  ]);

  app.get('/', { schema: { hide: true } }, async () => ({
    name: 'shiren',
    version: VERSION,
    links: { docs: '/docs', openapi: '/openapi.json', health: '/healthz', ready: '/readyz', metrics: '/metrics' },
  }));

  await app.register(nativeApi, {
    prefix: '/v1',
    authenticate: opts.core.authenticate,
    routes: opts.nativeRoutes ?? [],
  });
  if (opts.h5) await registerH5(app, opts.h5);
  if (opts.aliyun) await app.register(aliyunApi, { ...opts.aliyun, prefix: '/aliyun' });
  if (opts.baidu) await registerBaidu(app, opts.baidu);
  if (opts.volcengine) await app.register(volcengineApi, { ...opts.volcengine, prefix: '/volcengine' });
  if (opts.console) {
    await app.register(consoleApi, { ...opts.console, prefix: '/v1/console' });
    await registerConsolePage(app);
  }
  return app;
}
