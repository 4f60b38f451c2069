/**
 * The console API under /v1/console (docs/console.md), used by the console page at /console/. It is its own plugin
 * scope, next to the access-key API of /v1: callers are console users signed in with a session cookie, not apps.
 *   - every route declares an access level (config.consoleAccess: public | self | read | operate | admin); a route
 *     without one fails at start-up, so nothing is reachable by accident;
 *   - state-changing requests (anything but GET/HEAD/OPTIONS) must come from our own origin (Origin and
 *     Sec-Fetch-Site checked when the browser sends them) and, once signed in, carry the session's CSRF token in
 *     x-csrf-token (synchronizer token, derived from the session id);
 *   - the role is checked on the server for every request (src/auth/console-roles.ts); answers are never cached.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleAuth, ConsoleContext } from '../../auth/console-auth.js';
import type { ConsoleKeys } from '../../auth/console-keys.js';
import { roleAllows, type ConsoleAccess } from '../../auth/console-roles.js';
import type { ConsoleUsers } from '../../auth/console-users.js';
import { ShirenError } from '../../errors.js';
import type { AuditRepo } from '../../store/repos/audit-repo.js';
import type { AlertService } from '../../verify/alerts.js';
import type { BlacklistService } from '../../verify/blacklist.js';
import type { CheckRecords } from '../../verify/identity/check-records.js';
import type { ExportService } from '../../verify/exports.js';
import type { RecordService } from '../../verify/records.js';
import type { PlanService } from '../../verify/plans.js';
import type { SessionService } from '../../verify/sessions.js';
import type { SettingsService } from '../../verify/settings.js';
import type { StorageUsageService } from '../../verify/storage-usage.js';
import type { StatisticsService } from '../../verify/statistics.js';
import type { WhitelistService } from '../../verify/whitelist.js';
import type { StrategyService } from '../../verify/strategies.js';
import { sendNativeError } from '../common/errors.js';
import { consoleAlertRoutes } from './console-alert-routes.js';
import { consoleBlacklistRoutes } from './console-blacklist-routes.js';
import { consoleCheckRoutes } from './console-check-routes.js';
import { consoleExportRoutes } from './console-export-routes.js';
import { consoleKeyRoutes } from './console-key-routes.js';
import { consolePlanRoutes } from './console-plan-routes.js';
import { consoleRecordRoutes } from './console-record-routes.js';
import { consoleSessionRoutes } from './console-session-routes.js';
import { consoleSettingsRoutes } from './console-settings-routes.js';
import { consoleStrategyRoutes } from './console-strategy-routes.js';
import { consoleUserRoutes } from './console-user-routes.js';
import { consoleWhitelistRoutes } from './console-whitelist-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in console user (console API only). */
    consoleCtx: ConsoleContext | undefined;
  }
  interface FastifyContextConfig {
    /** Who may call a console route. */
    consoleAccess?: ConsoleAccess | 'public';
  }
}

export interface ConsoleApiDeps {
  auth: ConsoleAuth;
  users: ConsoleUsers;
  keys: ConsoleKeys;
  records: RecordService;
  statistics: StatisticsService;
  /** CSV exports of records (routes under /exports); absent, the routes are not registered. */
  exports?: ExportService;
  plans: Pick<PlanService, 'listAll' | 'create' | 'update' | 'findAny'>;
  audit: AuditRepo;
  /** Alert rules and events (routes under /alerts); absent, the routes are not registered. */
  alerts?: AlertService;
  /** Blacklisted ID numbers and addresses (routes under /blacklist); absent, the routes are not registered. */
  blacklist?: BlacklistService;
  /** Identity check records (GET /checks); absent, the route is not registered. */
  checkRecords?: CheckRecords;
  /** Starts the plan preview sessions (POST /plans/:id/preview); absent, that route answers not_supported. */
  sessions?: Pick<SessionService, 'create'>;
  /** Whitelist settings per plan (routes under /whitelist); absent, the routes are not registered. */
  whitelist?: WhitelistService;
  /** Runtime settings (routes under /settings); absent, the routes are not registered. */
  settings?: SettingsService;
  /** Storage usage (GET /storage, registered with the settings). */
  storage?: StorageUsageService;
  /** Attempt limits (routes under /strategies); absent, the routes are not registered. */
  strategies?: StrategyService;
  publicUrl: string;
}

export const CONSOLE_COOKIE = 'shiren_console';
export const COOKIE_PATH = '/v1/console';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function consoleCtx(request: FastifyRequest): ConsoleContext {
  if (!request.consoleCtx) throw new ShirenError('unauthorized', 'not signed in to the console');
  return request.consoleCtx;
}

function secureCookie(request: FastifyRequest, publicUrl: string): boolean {
  return request.protocol === 'https' || publicUrl.startsWith('https:');
}

export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  publicUrl: string,
  sessionId: string,
  maxAgeSeconds: number,
) {
  const attrs = [
    `${CONSOLE_COOKIE}=${sessionId}`,
    `Path=${COOKIE_PATH}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secureCookie(request, publicUrl) ? ['Secure'] : []),
  ];
  void reply.header('set-cookie', attrs.join('; '));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply, publicUrl: string) {
  setSessionCookie(request, reply, publicUrl, '', 0);
}

function checkOrigin(request: FastifyRequest, publicUrl: string) {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site')
    throw new ShirenError('forbidden', 'cross-site console requests are refused', { details: { csrf: 'origin' } });
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const allowed = [new URL(publicUrl).origin, `${request.protocol}://${request.host}`];
  if (!allowed.includes(origin))
    throw new ShirenError('forbidden', `requests from ${origin} are refused`, { details: { csrf: 'origin' } });
}

export const consoleApi: FastifyPluginAsync<ConsoleApiDeps> = async (app: FastifyInstance, deps) => {
  app.setErrorHandler((err, request, reply) => sendNativeError(err, request, reply));
  app.decorateRequest('consoleCtx', undefined);
  app.addHook('onRoute', (route) => {
    if (!route.config?.consoleAccess)
      throw new Error(`console route ${route.method} ${route.url} declares no config.consoleAccess`);
  });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const access = request.routeOptions.config.consoleAccess;
    if (!access) throw new ShirenError('not_found');
    const unsafe = !SAFE.has(request.method);
    if (unsafe) checkOrigin(request, deps.publicUrl);
    if (access === 'public') return;
    const ctx = await deps.auth.authenticate(readCookie(request.headers.cookie, CONSOLE_COOKIE));
    if (unsafe) {
      const token = request.headers['x-csrf-token'];
      deps.auth.checkCsrf(ctx, typeof token === 'string' ? token : undefined);
    }
    if (!roleAllows(ctx.user.role, access))
      throw new ShirenError('forbidden', `the ${ctx.user.role} role may not do this`, {
        details: { role: ctx.user.role, requires: access },
      });
    request.consoleCtx = ctx;
  });

  consoleSessionRoutes(app, deps);
  consoleUserRoutes(app, deps);
  consoleRecordRoutes(app, deps);
  consoleKeyRoutes(app, deps);
  consolePlanRoutes(app, deps);
  if (deps.alerts) consoleAlertRoutes(app, { alerts: deps.alerts });
  if (deps.exports) consoleExportRoutes(app, deps.exports);
  if (deps.blacklist) consoleBlacklistRoutes(app, { blacklist: deps.blacklist });
  if (deps.checkRecords) consoleCheckRoutes(app, { checkRecords: deps.checkRecords });
  if (deps.whitelist) consoleWhitelistRoutes(app, { whitelist: deps.whitelist });
  if (deps.settings)
    consoleSettingsRoutes(app, { settings: deps.settings, ...(deps.storage ? { storage: deps.storage } : {}) });
  if (deps.strategies) consoleStrategyRoutes(app, { strategies: deps.strategies });
};
