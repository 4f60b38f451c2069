/**
 * The native REST API under /v1: one error envelope, authentication by access key (Bearer or HMAC signature), and the
 * raw body kept for signature checks. Routes are thin: validate, call a core service, shape the answer.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { NativeAuthenticator } from '../../auth/authenticate.js';
import { sendNativeError } from '../common/errors.js';
import { registerSystemRoutes } from './system-routes.js';

export interface NativeApiDeps {
  authenticate: NativeAuthenticator;
  /** Extra route groups (faces, sessions, …) registered inside the authenticated scope. */
  routes?: ((app: FastifyInstance) => Promise<void> | void)[];
}

function safeJsonParse(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));
}

export const nativeApi: FastifyPluginAsync<NativeApiDeps> = async (app, deps) => {
  app.setErrorHandler((err, request, reply) => sendNativeError(err, request, reply));

  // Keep the exact bytes: the HMAC signature covers them.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    if ((body as Buffer).length === 0) return done(null, undefined);
    try {
      done(null, safeJsonParse((body as Buffer).toString('utf8')));
    } catch {
      const err = new SyntaxError('invalid JSON') as SyntaxError & { statusCode: number; code: string };
      err.statusCode = 400;
      err.code = 'FST_ERR_CTP_INVALID_JSON_BODY';
      done(err, undefined);
    }
  });
  for (const type of ['application/octet-stream', /^image\/.*/]) {
    app.addContentTypeParser(type, { parseAs: 'buffer' }, (request, body: Buffer, done) => {
      request.rawBody = body;
      done(null, body);
    });
  }

  app.addHook('preHandler', async (request) => {
    request.principal = await deps.authenticate({
      authorization: request.headers.authorization,
      method: request.method,
      url: request.raw.url ?? request.url,
      rawBody: request.rawBody,
    });
  });

  registerSystemRoutes(app);
  for (const register of deps.routes ?? []) await register(app);
};
