/** Assembles the console API's services from the core and the session service (used by src/server.ts and tests). */
import { createConsoleAuth, type ConsolePolicy } from '../../auth/console-auth.js';
import { createConsoleKeys } from '../../auth/console-keys.js';
import { createConsoleUsers } from '../../auth/console-users.js';
import type { Core } from '../../core.js';
import { createTransactor } from '../../store/repos/index.js';
import { createExportService, type ExportLogger } from '../../verify/exports.js';
import { createAlertService, type AlertService } from '../../verify/alerts.js';
import { createBlacklistService } from '../../verify/blacklist.js';
import { createCheckRecords, type CheckRecords } from '../../verify/identity/check-records.js';
import { createRecordService } from '../../verify/records.js';
import type { SessionService } from '../../verify/sessions.js';
import { createPlanService, type PlanService } from '../../verify/plans.js';
import { createStatisticsService } from '../../verify/statistics.js';
import { createWhitelistService } from '../../verify/whitelist.js';
import { createSettingsService, type SettingsService } from '../../verify/settings.js';
import { createStorageUsage } from '../../verify/storage-usage.js';
import { databaseSize } from '../../store/storage-size.js';
import { createStrategyService, type StrategyService } from '../../verify/strategies.js';
import type { ConsoleApiDeps } from './console-api.js';

export function consoleDeps(opts: {
  core: Pick<Core, 'config' | 'repos' | 'keyring' | 'accessKeys' | 'blobs' | 'store'>;
  sessions: Pick<SessionService, 'get' | 'image' | 'delete' | 'create'>;
  /** The plan service; by default one on the core's repositories (new plans get the settings' defaults). */
  plans?: PlanService;
  /** The runtime settings (src/server.ts shares one with the jobs and image sources); by default a new one. */
  settings?: SettingsService;
  policy?: Partial<ConsolePolicy>;
  now?: () => Date;
  /** CSV exports: lifetime of a finished export (default 24 h), start in-process on create (default true). */
  exports?: { ttlMs?: number; runOnCreate?: boolean; log?: ExportLogger };
  /** The attempt-limit service the session engine enforces; by default one on the core's repositories. */
  strategies?: StrategyService;
  /** The alert service (src/server.ts shares the one its jobs evaluate); by default one on the core's repositories. */
  alerts?: AlertService;
  /** The identity check records (src/server.ts shares the ones its checks write); by default new ones. */
  checkRecords?: CheckRecords;
}): ConsoleApiDeps {
  const { repos, keyring } = opts.core;
  const clock = opts.now ? { now: opts.now } : {};
  const transaction = createTransactor(opts.core.store.db);
  const records = createRecordService({ repos, sessions: opts.sessions, keyring, ...clock });
  const settings =
    opts.settings ??
    createSettingsService({
      repo: repos.consoleSettings,
      transaction,
      config: opts.core.config,
      ...clock,
    });
  return {
    auth: createConsoleAuth({
      users: repos.adminUsers,
      sessions: repos.consoleSessions,
      logins: repos.consoleLogins,
      audit: repos.audit,
      keyring,
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...clock,
    }),
    users: createConsoleUsers({
      users: repos.adminUsers,
      sessions: repos.consoleSessions,
      audit: repos.audit,
      ...clock,
    }),
    keys: createConsoleKeys({ apps: repos.apps, keys: opts.core.accessKeys, audit: repos.audit }),
    records,
    exports: createExportService({
      repos,
      transaction,
      blobs: opts.core.blobs,
      records,
      ...clock,
      ...opts.exports,
    }),
    statistics: createStatisticsService({ repos, ...clock }),
    plans:
      opts.plans ??
      createPlanService({ plans: repos.plans, audit: repos.audit, keyring, defaults: settings.planDefaults, ...clock }),
    audit: repos.audit,
    alerts:
      opts.alerts ??
      createAlertService({
        alerts: repos.alerts,
        plans: repos.plans,
        audit: repos.audit,
        transaction,
        keyring,
        ...clock,
      }),
    blacklist: createBlacklistService({
      blacklist: repos.blacklist,
      apps: repos.apps,
      audit: repos.audit,
      keyring,
      ...clock,
    }),
    checkRecords:
      opts.checkRecords ?? createCheckRecords({ repo: repos.checkRecords, apps: repos.apps, keyring, ...clock }),
    sessions: opts.sessions,
    whitelist: createWhitelistService({
      whitelist: repos.whitelist,
      plans: repos.plans,
      sessions: repos.sessions,
      audit: repos.audit,
      keyring,
      ...clock,
    }),
    settings,
    storage: createStorageUsage({
      blobs: opts.core.blobs,
      databaseSize: () => databaseSize(opts.core.store, opts.core.config.dataDir),
      ...clock,
    }),
    strategies:
      opts.strategies ??
      createStrategyService({
        strategies: repos.strategies,
        apps: repos.apps,
        plans: repos.plans,
        audit: repos.audit,
        ...clock,
      }),
    publicUrl: opts.core.config.publicUrl,
  };
}
