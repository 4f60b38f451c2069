/** Shared by the console integration tests: requests through app.inject with a session cookie and CSRF token. */
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** A signed-in console user: the session cookie (name=value) and its CSRF token. */
export interface Signed {
  cookie: string;
  csrf: string;
}

export interface ConsoleCallOptions {
  as?: Signed;
  body?: unknown;
  /** Overrides the CSRF token of `as`; null sends none. */
  csrf?: string | null;
  ip?: string;
  headers?: Record<string, string>;
}

/**
 * `call` sends the cookie and (on changes) the CSRF token of `opts.as`; requests to the native API outside
 * /v1/console carry `bearer()` when given. `ip` is the default client address.
 */
export function consoleClient(setup: { app: () => FastifyInstance; ip: string; bearer?: () => string }) {
  function call(method: string, url: string, opts: ConsoleCallOptions = {}): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.as) headers.cookie = opts.as.cookie;
    const csrf = opts.csrf === undefined ? opts.as?.csrf : opts.csrf;
    if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (setup.bearer && url.startsWith('/v1/') && !url.startsWith('/v1/console'))
      headers.authorization ??= setup.bearer();
    return setup.app().inject({
      method: method as 'GET',
      url,
      headers,
      remoteAddress: opts.ip ?? setup.ip,
      ...(opts.body !== undefined ? { payload: JSON.stringify(opts.body) } : {}),
    });
  }

  async function signIn(username: string, password: string, ip?: string): Promise<Signed> {
    const res = await call('POST', '/v1/console/session', { body: { username, password }, ...(ip ? { ip } : {}) });
    assert.equal(res.statusCode, 200, res.body);
    return { cookie: String(res.headers['set-cookie']).split(';')[0]!, csrf: res.json().csrfToken };
  }

  return { call, signIn };
}
