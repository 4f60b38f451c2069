/**
 * The migration list, in order. Migrations are plain Kysely schema code that runs unchanged on PGlite and PostgreSQL.
 * Never edit a migration that has shipped: add a new one.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-foundation.js';
import * as m0002 from './0002-sessions.js';
import * as m0003 from './0003-identity-registry.js';
import * as m0004 from './0004-baidu.js';
import * as m0006 from './0006-console.js';
import * as m0007 from './0007-exports.js';
import * as m0008 from './0008-alerts.js';
import * as m0009 from './0009-blacklist.js';
import * as m0010 from './0010-whitelist.js';
import * as m0011 from './0011-control-strategies.js';
import * as m0012 from './0012-statistics-dimensions.js';
import * as m0013 from './0013-settings.js';
import * as m0014 from './0014-app-rate-limits.js';
import * as m0015 from './0015-preview-and-retries.js';
import * as m0016 from './0016-check-records.js';

export const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-sessions': m0002,
  '0003-identity-registry': m0003,
  '0004-baidu': m0004,
  '0006-console': m0006,
  '0007-exports': m0007,
  '0008-alerts': m0008,
  '0009-blacklist': m0009,
  '0010-whitelist': m0010,
  '0011-control-strategies': m0011,
  '0012-statistics-dimensions': m0012,
  '0013-settings': m0013,
  '0014-app-rate-limits': m0014,
  '0015-preview-and-retries': m0015,
  '0016-check-records': m0016,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
