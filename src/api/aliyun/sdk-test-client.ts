/**
 * Shared by the Cloudauth tests that drive the official SDK (@alicloud/cloudauth20190307) over a real port: the
 * server (a core on a fresh PGlite database, buildApp with the Cloudauth endpoint listening on 127.0.0.1) and the
 * SDK client of an access key.
 */
import cloudauth from '@alicloud/cloudauth20190307';
import { Config } from '@alicloud/openapi-client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import { openCore, type Core } from '../../core.js';
import type { TestBackend } from '../native/console-test-helpers.js';
import type { AliyunApiDeps } from './index.js';

export const Client = cloudauth.default;
export type CloudauthClient = InstanceType<typeof Client>;

/** acs3: the SDK's default signature (ACS3-HMAC-SHA256); rpc: the RPC v1 signature (signatureAlgorithm v2). */
export type SignatureMode = 'acs3' | 'rpc';

/** The official client of `key` for the server on 127.0.0.1:`port`, over HTTP with a generous read timeout. */
export function sdkClient(
  key: { accessKeyId: string; accessKeySecret: string },
  port: number,
  opts: { mode?: SignatureMode; connectTimeout?: number } = {},
): CloudauthClient {
  return new Client(
    new Config({
      accessKeyId: key.accessKeyId,
      accessKeySecret: key.accessKeySecret,
      endpoint: `127.0.0.1:${port}`,
      protocol: 'HTTP',
      readTimeout: 60_000,
      ...(opts.connectTimeout !== undefined ? { connectTimeout: opts.connectTimeout } : {}),
      ...(opts.mode === 'rpc' ? { signatureAlgorithm: 'v2' } : {}),
    }) as ConstructorParameters<typeof Client>[0],
  );
}

export interface SdkTestServer {
  core: Core;
  /**
   * buildApp with the Cloudauth endpoint only: the core's keys, nonces and signature window, no face service and no
   * pictures unless `deps` gives them; listens on 127.0.0.1 and answers the port.
   */
  listen(deps: Pick<AliyunApiDeps, 'plans'> & Partial<AliyunApiDeps>): Promise<number>;
  close(): Promise<void>;
}

/**
 * A core on a fresh database of `backend` (one of test/helpers.ts BACKENDS; the config as its testConfig reads it);
 * `listen` once the test has seeded it.
 */
export async function openSdkTestServer(backend: TestBackend): Promise<SdkTestServer> {
  const b = await backend.setup();
  let core: Core | undefined;
  let app: FastifyInstance | undefined;
  const close = async () => {
    await app?.close();
    await core?.close();
    await b.cleanup();
  };
  try {
    const opened = await openCore(loadConfig({ LOG_LEVEL: 'silent', SHIREN_ENGINE: 'off', ...b.env }));
    core = opened;
    return {
      core: opened,
      async listen(deps) {
        app = await buildApp({
          core: opened,
          logger: false,
          aliyun: {
            keys: opened.accessKeys,
            nonces: opened.repos.nonces,
            windowSeconds: opened.config.signatureWindowSeconds,
            faces: {} as never,
            images: { resolve: async () => Buffer.alloc(0) },
            ...deps,
          },
        });
        await app.listen({ port: 0, host: '127.0.0.1' });
        return (app.server.address() as { port: number }).port;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
