/** The built console page (web/console/dist) at /console/, as the H5 page is served at /h5/. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { ShirenError } from '../../errors.js';

const DEFAULT_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/console/dist');

export async function registerConsolePage(app: FastifyInstance, distDir = DEFAULT_DIST): Promise<void> {
  if (existsSync(path.join(distDir, 'index.html'))) {
    await app.register(async (scope) => {
      // The page holds no secrets, but it must not be framed (clickjacking) or cached across releases stale.
      scope.addHook('onSend', async (_request, reply) => {
        void reply.header('x-frame-options', 'DENY');
        void reply.header(
          'content-security-policy',
          "default-src 'self'; img-src 'self' blob: data:; frame-ancestors 'none'",
        );
        void reply.header('referrer-policy', 'no-referrer');
      });
      await scope.register(fastifyStatic, { root: distDir, prefix: '/console/', redirect: true, decorateReply: false });
    });
  } else {
    const notBuilt = async () => {
      throw new ShirenError('not_found', 'console page not built: npm run build');
    };
    app.get('/console', { schema: { hide: true } }, notBuilt);
    app.get('/console/', { schema: { hide: true } }, notBuilt);
    app.get('/console/*', { schema: { hide: true } }, notBuilt);
  }
}
