import type { FastifyInstance } from 'fastify';

export function registerSystemRoutes(app: FastifyInstance) {
  app.get(
    '/whoami',
    {
      schema: {
        tags: ['system'],
        summary: 'The app and access key the request authenticated as',
        security: [{ bearer: [] }, { hmac: [] }],
        response: {
          200: {
            type: 'object',
            required: ['appId', 'appName', 'accessKeyId'],
            properties: { appId: { type: 'string' }, appName: { type: 'string' }, accessKeyId: { type: 'string' } },
          },
        },
      },
    },
    async (request) => request.principal,
  );
}
