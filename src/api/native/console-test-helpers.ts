/**
 * Shared by the console integration tests: requests through app.inject with a session cookie and CSRF token, and the
 * app they run against (openConsoleTestApp).
 */
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type BuildAppOptions } from '../../app.js';
import { bootstrapFirstRun } from '../../auth/bootstrap.js';
import { loadConfig } from '../../config.js';
import { openCore, type Core } from '../../core.js';
import { createTransactor } from '../../store/repos/index.js';
import {
  createSessionService,
  type SessionFaces,
  type SessionService,
  type SessionServiceDeps,
} from '../../verify/sessions.js';
import type { ConsoleApiDeps } from './console-api.js';
import { consoleDeps } from './console-deps.js';

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

  /**
   * A change (`method` `url` with `body`) refused to `denied` (403, details.requires `requires`) and, without its CSRF
   * token, to `allowed` (403, details.csrf invalid).
   */
  async function assertGuarded(
    method: string,
    url: string,
    g: { body?: unknown; denied: Signed; requires: string; allowed: Signed },
  ): Promise<void> {
    const byDenied = await call(method, url, { as: g.denied, body: g.body });
    assert.equal(byDenied.statusCode, 403, byDenied.body);
    assert.equal(byDenied.json().error.details.requires, g.requires);
    const noCsrf = await call(method, url, { as: g.allowed, body: g.body, csrf: null });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(noCsrf.json().error.details.csrf, 'invalid');
  }

  /** Each body of `cases` sent as `as` answers 400 invalid_request naming its field in details.field. */
  async function assertInvalidFields(
    method: string,
    url: string,
    as: Signed,
    cases: readonly (readonly [body: unknown, field: string])[],
  ): Promise<void> {
    for (const [body, field] of cases) {
      const res = await call(method, url, { as, body });
      assert.equal(res.statusCode, 400, `${field} ${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json().error.code, 'invalid_request');
      assert.equal(res.json().error.details.field, field, res.body);
    }
  }

  return { call, signIn, assertGuarded, assertInvalidFields };
}

/** The console origin of the test apps (SHIREN_PUBLIC_URL and the session engine's publicUrl). */
export const CONSOLE_ORIGIN = 'https://console.example.com';
/** A session engine without a face engine: enough for sessions that never compare faces. */
export const noFaces = {} as SessionFaces;

type ConsoleDepsOptions = Parameters<typeof consoleDeps>[0];

/**
 * A database backend of test/helpers.ts BACKENDS (a fresh database's environment). This file is part of the build,
 * which does not include test/, so it names the shape and reads the config as testConfig does.
 */
export interface TestBackend {
  setup(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;
}

export interface ConsoleTestAppOptions {
  backend: TestBackend;
  /** The default client address of the helper's own requests (the sign-ins of signInAdmin and addUser). */
  ip: string;
  /** The injected clock of the session engine and, unless consoleOptions sets another, of consoleDeps. */
  now?: () => Date;
  /** More environment for the config (SHIREN_PUBLIC_URL is CONSOLE_ORIGIN). */
  env?: Record<string, string>;
  /**
   * Over the session engine's defaults: faces noFaces, publicUrl CONSOLE_ORIGIN, limits 5 failures per address in
   * 180 s and 1 MiB images, the clock `now`. Called before consoleOptions.
   */
  sessionDeps?: (core: Core) => Partial<SessionServiceDeps>;
  /** Over consoleDeps({ core, sessions, now }). */
  consoleOptions?: (core: Core) => Partial<ConsoleDepsOptions>;
  /** The native route groups (default none). */
  nativeRoutes?: (core: Core, sessions: SessionService) => NonNullable<BuildAppOptions['nativeRoutes']>;
  /** Serve the H5 API with the session engine (demo off). */
  h5?: boolean;
}

export interface ConsoleTestApp {
  app: FastifyInstance;
  core: Core;
  creds: NonNullable<Awaited<ReturnType<typeof bootstrapFirstRun>>>;
  sessions: SessionService;
  deps: ConsoleApiDeps;
  /** Signs the bootstrap admin in; addUser creates users as that admin. */
  signInAdmin(): Promise<Signed>;
  /** Creates a console user (as the admin of signInAdmin) and signs it in. */
  addUser(username: string, role: string, password?: string): Promise<Signed>;
  close(): Promise<void>;
}

/**
 * A fresh database on `backend`, the core with its first-run credentials, a session engine and the console API on
 * buildApp: the setup the console integration tests share. Each test passes its own differences as options.
 */
export async function openConsoleTestApp(opts: ConsoleTestAppOptions): Promise<ConsoleTestApp> {
  const b = await opts.backend.setup();
  let core: Core | undefined;
  let app: FastifyInstance | undefined;
  const close = async () => {
    await app?.close();
    await core?.close();
    await b.cleanup();
  };
  try {
    core = await openCore(
      loadConfig({
        LOG_LEVEL: 'silent',
        SHIREN_ENGINE: 'off',
        ...b.env,
        SHIREN_PUBLIC_URL: CONSOLE_ORIGIN,
        ...opts.env,
      }),
    );
    const creds = await bootstrapFirstRun({ repos: core.repos, accessKeys: core.accessKeys });
    assert.ok(creds);
    const sessions = createSessionService({
      repos: core.repos,
      transaction: createTransactor(core.store.db),
      blobs: core.blobs,
      keyring: core.keyring,
      faces: noFaces,
      publicUrl: CONSOLE_ORIGIN,
      limits: { ipFailureLimit: 5, ipFailureWindowSeconds: 180, maxImageBytes: 1 << 20 },
      now: opts.now,
      ...opts.sessionDeps?.(core),
    });
    const deps = consoleDeps({ core, sessions, now: opts.now, ...opts.consoleOptions?.(core) });
    const built = await buildApp({
      core,
      logger: false,
      nativeRoutes: opts.nativeRoutes?.(core, sessions) ?? [],
      console: deps,
      ...(opts.h5 ? { h5: { sessions, demo: false } } : {}),
    });
    app = built;
    const { call, signIn } = consoleClient({ app: () => built, ip: opts.ip });
    let admin: Signed | undefined;
    return {
      app: built,
      core,
      creds,
      sessions,
      deps,
      async signInAdmin() {
        admin = await signIn('admin', creds.admin.password);
        return admin;
      },
      async addUser(username, role, password = `long enough password ${username.length}`) {
        assert.ok(admin, 'signInAdmin first');
        const res = await call('POST', '/v1/console/users', { as: admin, body: { username, password, role } });
        assert.equal(res.statusCode, 200, res.body);
        return signIn(username, password);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
