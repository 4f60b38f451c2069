import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { createAccessKeyRepo } from './access-key-repo.js';
import { createAdminUserRepo } from './admin-user-repo.js';
import { createAlertRepo } from './alert-repo.js';
import { createAppRepo } from './app-repo.js';
import { createAttemptRepo } from './attempt-repo.js';
import { createAuditRepo } from './audit-repo.js';
import { createBlacklistRepo } from './blacklist-repo.js';
import { createCallbackRepo } from './callback-repo.js';
import { createChallengeRepo } from './challenge-repo.js';
import { createCheckRecordRepo } from './check-record-repo.js';
import { createExportRepo } from './export-repo.js';
import { createNonceRepo } from './nonce-repo.js';
import { createConsoleLoginRepo } from './console-login-repo.js';
import { createConsoleSessionRepo } from './console-session-repo.js';
import { createConsoleSettingRepo } from './console-setting-repo.js';
import { createPlanRepo } from './plan-repo.js';
import { createRecordRepo } from './record-repo.js';
import { createRegistryRepo } from './registry-repo.js';
import { createSessionRepo } from './session-repo.js';
import { createSettingRepo } from './setting-repo.js';
import { createWhitelistRepo } from './whitelist-repo.js';
import { createStrategyRepo } from './strategy-repo.js';

export function createRepos(db: Kysely<Database>) {
  return {
    apps: createAppRepo(db),
    accessKeys: createAccessKeyRepo(db),
    adminUsers: createAdminUserRepo(db),
    consoleSessions: createConsoleSessionRepo(db),
    consoleLogins: createConsoleLoginRepo(db),
    records: createRecordRepo(db),
    nonces: createNonceRepo(db),
    audit: createAuditRepo(db),
    settings: createSettingRepo(db),
    plans: createPlanRepo(db),
    sessions: createSessionRepo(db),
    attempts: createAttemptRepo(db),
    challenges: createChallengeRepo(db),
    callbacks: createCallbackRepo(db),
    registry: createRegistryRepo(db),
    alerts: createAlertRepo(db),
    exports: createExportRepo(db),
    blacklist: createBlacklistRepo(db),
    whitelist: createWhitelistRepo(db),
    checkRecords: createCheckRecordRepo(db),
    consoleSettings: createConsoleSettingRepo(db),
    strategies: createStrategyRepo(db),
  };
}
export type Repos = ReturnType<typeof createRepos>;

/** Runs fn with repositories bound to one transaction: all its writes commit together or not at all (no nesting). */
export type Transactor = <T>(fn: (repos: Repos) => Promise<T>) => Promise<T>;

export function createTransactor(db: Kysely<Database>): Transactor {
  return (fn) => db.transaction().execute((trx) => fn(createRepos(trx)));
}
