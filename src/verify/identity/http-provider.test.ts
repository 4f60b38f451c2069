/**
 * The http identity provider against an upstream on 127.0.0.1: the protocol both ways, the Authorization header,
 * the timeout, and the circuit breaker (open after N failures without calling the upstream, half-open after the
 * cool-down: one trial call, success closes, failure opens again).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { isShirenError } from '../../errors.js';
import { createCircuitBreaker, createHttpProvider } from './http-provider.js';
import type { CheckRequest } from './types.js';

type Mode = 'ok' | 'fail500' | 'slow' | 'garbage' | 'refuse400' | 'unsupported';

describe('http identity provider', () => {
  let server: http.Server;
  let url: string;
  let mode: Mode = 'ok';
  let hits = 0;
  const seen: { authorization?: string; body: unknown }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hits++;
        seen.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
        const json = (status: number, v: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
        if (mode === 'ok')
          return json(200, { result: 'inconsistent', mismatched: ['name'], isp: 'CTCC', subCode: '203' });
        if (mode === 'fail500') return json(503, { message: 'down' });
        if (mode === 'garbage') return res.writeHead(200).end('<html>');
        if (mode === 'refuse400') return json(400, { message: 'bad mobile' });
        if (mode === 'unsupported') return json(200, { result: 'unsupported' });
        setTimeout(() => json(200, { result: 'consistent' }), 400);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/check`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    mode = 'ok';
    hits = 0;
    seen.length = 0;
  });

  const req: CheckRequest = {
    kind: 'mobile3',
    paramType: 'normal',
    name: '张三',
    idNumber: '110101199003074514',
    mobile: '13300001111',
  };

  test('the protocol: request fields and Authorization, answer mapped', async () => {
    const p = createHttpProvider({
      url,
      authorization: 'Token abc',
      timeoutMs: 1000,
      failureThreshold: 3,
      cooldownMs: 1000,
    });
    const a = await p.check('app_1', { ...req, face: Buffer.from('img') });
    assert.deepEqual(a, { result: 'inconsistent', mismatched: ['name'], isp: 'CTCC', subCode: '203' });
    assert.equal(seen[0]!.authorization, 'Token abc');
    assert.deepEqual(seen[0]!.body, {
      check: 'mobile3',
      paramType: 'normal',
      fields: {
        name: '张三',
        idNumber: '110101199003074514',
        mobile: '13300001111',
        face: Buffer.from('img').toString('base64'),
      },
    });
  });

  test('refusals and "unsupported" are answers (circuit stays closed); garbage and 5xx are failures', async () => {
    const p = createHttpProvider({ url, timeoutMs: 1000, failureThreshold: 2, cooldownMs: 60_000 });
    mode = 'refuse400';
    for (let i = 0; i < 3; i++)
      await assert.rejects(
        p.check('a', req),
        (e) => isShirenError(e) && e.reason === 'invalid_request' && /bad mobile/.test(e.message),
      );
    mode = 'unsupported';
    await assert.rejects(p.check('a', req), (e) => isShirenError(e) && e.reason === 'not_supported');
    assert.equal(p.breaker.state(), 'closed');
    mode = 'garbage';
    await assert.rejects(
      p.check('a', req),
      (e) => isShirenError(e) && e.reason === 'engine_unavailable' && /without JSON/.test(e.message),
    );
    assert.equal(p.breaker.state(), 'closed', 'one failure of two');
    mode = 'fail500';
    await assert.rejects(p.check('a', req), (e) => isShirenError(e) && /HTTP 503/.test(e.message));
    assert.equal(p.breaker.state(), 'open');
    const before = hits;
    await assert.rejects(
      p.check('a', req),
      (e) => isShirenError(e) && e.details?.breaker === 'open' && typeof e.retryAfter === 'number',
    );
    assert.equal(hits, before, 'an open circuit does not call the upstream');
  });

  test('timeout counts as a failure; after the cool-down one trial call closes or reopens the circuit', async () => {
    const p = createHttpProvider({ url, timeoutMs: 150, failureThreshold: 1, cooldownMs: 300 });
    mode = 'slow';
    const t0 = Date.now();
    await assert.rejects(p.check('a', req), (e) => isShirenError(e) && e.reason === 'timeout');
    assert.ok(Date.now() - t0 < 350, 'gave up at the timeout');
    assert.equal(p.breaker.state(), 'open');
    await new Promise((r) => setTimeout(r, 320));
    assert.equal(p.breaker.state(), 'half_open');
    mode = 'fail500';
    await assert.rejects(p.check('a', req), (e) => isShirenError(e) && e.reason === 'engine_unavailable');
    assert.equal(p.breaker.state(), 'open', 'the trial failed');
    await new Promise((r) => setTimeout(r, 320));
    mode = 'ok';
    assert.equal((await p.check('a', req)).result, 'inconsistent');
    assert.equal(p.breaker.state(), 'closed', 'the trial succeeded');
  });

  test('an unreachable upstream is a failure with a clear message', async () => {
    const p = createHttpProvider({
      url: 'http://127.0.0.1:9/x',
      timeoutMs: 500,
      failureThreshold: 5,
      cooldownMs: 1000,
    });
    await assert.rejects(p.check('a', req), (e) => isShirenError(e) && /cannot reach the upstream/.test(e.message));
  });

  test('breaker: only one trial call at a time when half-open', () => {
    let now = 0;
    const b = createCircuitBreaker({ failureThreshold: 2, cooldownMs: 100 }, () => now);
    b.enter()(false);
    assert.equal(b.state(), 'closed');
    b.enter()(false);
    assert.equal(b.state(), 'open');
    assert.throws(() => b.enter());
    now = 100;
    const trial = b.enter();
    assert.throws(() => b.enter(), /circuit breaker is open/);
    trial(true);
    assert.equal(b.state(), 'closed');
    b.enter()(false);
    assert.equal(b.state(), 'closed', 'failures were reset by the success');
  });
});
