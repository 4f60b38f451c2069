/** The HTTP plumbing through Fastify's inject: request ids, envelope, health, metrics, OpenAPI, auth, limits. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BACKENDS, testConfig } from '../test/helpers.js';
import { buildApp } from './app.js';
import { signNativeRequest } from './auth/native-signature.js';
import { openCore, type Core } from './core.js';

describe('HTTP app', () => {
  let app: FastifyInstance;
  let core: Core;
  let cleanup: () => Promise<void>;
  let key: { accessKeyId: string; accessKeySecret: string };
  const bearer = () => `Bearer ${key.accessKeyId}:${key.accessKeySecret}`;

  before(async () => {
    const b = await BACKENDS[0]!.setup();
    cleanup = b.cleanup;
    core = await openCore(testConfig({ ...b.env, SHIREN_BODY_LIMIT: '2048' }));
    key = await core.accessKeys.create({ actor: 'test' });
    app = await buildApp({
      core,
      logger: false,
      nativeRoutes: [
        (a) => {
          a.post('/echo', async (request) => ({ body: request.body as unknown }));
          a.get('/boom', async () => {
            throw new Error('secret internal detail');
          });
        },
      ],
    });
  });
  after(async () => {
    await app.close();
    await core.close();
    await cleanup();
  });

  test('every response carries x-request-id, also errors and 404s', async () => {
    for (const url of ['/healthz', '/nope', '/v1/whoami']) {
      const res = await app.inject({ url });
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/, url);
    }
    const res = await app.inject({ url: '/nope' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json().error.code, 'not_found');
    assert.equal(res.json().request_id, res.headers['x-request-id']);
  });

  test('an inbound x-request-id is not trusted without a trusted proxy', async () => {
    const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'client-chosen' } });
    assert.notEqual(res.headers['x-request-id'], 'client-chosen');
  });

  test('healthz, readyz, metrics', async () => {
    assert.deepEqual((await app.inject({ url: '/healthz' })).json(), { status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().checks.database.ok, true);
    await app.inject({ url: '/v1/whoami' });
    const metrics = await app.inject({ url: '/metrics' });
    assert.match(metrics.headers['content-type'] as string, /text\/plain/);
    assert.match(metrics.body, /shiren_http_request_duration_seconds_bucket\{.*route="\/healthz"/);
    assert.match(metrics.body, /shiren_errors_total\{reason="unauthorized"\} [1-9]/);
    assert.match(metrics.body, /shiren_process_resident_memory_bytes/);
  });

  test('readyz answers 503 when a check fails', async () => {
    const b = await buildApp({
      core,
      logger: false,
      readiness: [{ name: 'engine', check: async () => ({ ok: false, detail: 'loading models' }) }],
    });
    const res = await b.inject({ url: '/readyz' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json().checks.engine, { ok: false, detail: 'loading models' });
    await b.close();
  });

  test('OpenAPI 3 document and docs UI', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    assert.equal(doc.openapi, '3.0.3');
    assert.ok(doc.paths['/v1/whoami'], 'whoami documented');
    assert.ok(doc.paths['/healthz'] && doc.paths['/readyz']);
    assert.ok(doc.components.securitySchemes.bearer && doc.components.securitySchemes.hmac);
    const ui = await app.inject({ url: '/docs/' });
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /swagger-ui/i);
    assert.doesNotMatch(ui.body, /https?:\/\/(unpkg|cdn|cdnjs)\./, 'no CDN assets');
  });

  test('bearer authentication', async () => {
    const ok = await app.inject({ url: '/v1/whoami', headers: { authorization: bearer() } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { appId: ok.json().appId, appName: 'default', accessKeyId: key.accessKeyId });
    const cases: [string | undefined, number, string][] = [
      [undefined, 401, 'unauthorized'],
      ['Bearer nocolon', 401, 'unauthorized'],
      [`Bearer ${key.accessKeyId}:wrong`, 401, 'access_key_invalid'],
      [`Bearer SRUNKNOWN:${key.accessKeySecret}`, 401, 'access_key_invalid'],
      ['Basic abc', 401, 'unauthorized'],
    ];
    for (const [authorization, status, code] of cases) {
      const res = await app.inject({ url: '/v1/whoami', headers: authorization ? { authorization } : {} });
      assert.equal(res.statusCode, status, String(authorization));
      assert.equal(res.json().error.code, code, String(authorization));
    }
  });

  test('HMAC signature: valid, tampered body, stale, reused nonce, wrong secret', async () => {
    const body = JSON.stringify({ hello: '世界' });
    const sign = (o: Partial<Parameters<typeof signNativeRequest>[0]> = {}) =>
      signNativeRequest({ ...key, method: 'POST', url: '/v1/echo?b=2&a=1', body, ...o });
    const send = (authorization: string, payload = body) =>
      app.inject({
        method: 'POST',
        url: '/v1/echo?b=2&a=1',
        headers: { authorization, 'content-type': 'application/json' },
        payload,
      });

    const auth = sign();
    const ok = await send(auth);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { body: { hello: '世界' } });
    assert.equal((await send(auth)).json().error.code, 'nonce_reused');
    assert.equal((await send(sign(), JSON.stringify({ hello: 'x' }))).json().error.code, 'signature_invalid');
    assert.equal(
      (await send(sign({ timestamp: Math.floor(Date.now() / 1000) - 3600 }))).json().error.code,
      'timestamp_invalid',
    );
    assert.equal((await send(sign({ accessKeySecret: 'y'.repeat(40) }))).json().error.code, 'signature_invalid');
    assert.equal((await send(sign({ url: '/v1/echo?a=1&b=3' }))).json().error.code, 'signature_invalid');
    // the canonical query is order-independent
    assert.equal((await send(sign({ url: '/v1/echo?a=1&b=2' }))).statusCode, 200);
    assert.equal((await send('SHIREN-HMAC-SHA256 Credential=x')).json().error.code, 'unauthorized');
  });

  test('a GET is signed over the empty body', async () => {
    const authorization = signNativeRequest({ ...key, method: 'GET', url: '/v1/whoami' });
    const res = await app.inject({ url: '/v1/whoami', headers: { authorization } });
    assert.equal(res.statusCode, 200, res.body);
  });

  test('body limit, bad JSON and unknown content types use the envelope', async () => {
    const big = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { authorization: bearer(), 'content-type': 'application/json' },
      payload: JSON.stringify({ x: 'y'.repeat(4096) }),
    });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error.code, 'payload_too_large');
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { authorization: bearer(), 'content-type': 'application/json' },
      payload: '{nope',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_request');
    const weird = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { authorization: bearer(), 'content-type': 'text/weird' },
      payload: 'x',
    });
    assert.equal(weird.statusCode, 415);
    assert.equal(weird.json().error.code, 'unsupported_media_type');
  });

  test('unknown errors become internal without leaking their message', async () => {
    const res = await app.inject({ url: '/v1/boom', headers: { authorization: bearer() } });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().error.code, 'internal');
    assert.doesNotMatch(res.body, /secret internal detail/);
  });
});
