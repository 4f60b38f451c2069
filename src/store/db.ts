/**
 * Opens the database: embedded PGlite under DATA_DIR/pg by default, PostgreSQL when DATABASE_URL is set. Both speak
 * the same SQL, so the schema, migrations and repositories are shared.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { migrationProvider } from './migrations/index.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export type DatabaseKind = 'pglite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** Where the data lives, for messages (directory or URL without password). */
  location: string;
  migrate(): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

export interface OpenDatabaseOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** Who opens it (shown to another process that finds the embedded database busy). */
  holder?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Store> {
  let db: Kysely<Database>;
  let kind: DatabaseKind;
  let location: string;
  let lock: DataDirLock | undefined;

  if (opts.databaseUrl) {
    kind = 'postgres';
    location = redactUrl(opts.databaseUrl);
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
    });
    // An idle client that loses its server must not crash the process.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      client.release();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new DatabaseUnavailableError(
        `DATABASE_URL: cannot connect to ${location} (${(err as Error).message || (err as NodeJS.ErrnoException).code})`,
        { cause: err },
      );
    }
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    kind = 'pglite';
    const dir = path.join(opts.dataDir, 'pg');
    location = dir;
    lock = lockDataDir(opts.dataDir, opts.holder ?? `shiren ${process.argv.slice(2).join(' ')}`.trim());
    try {
      mkdirSync(dir, { recursive: true });
      const { PGlite } = await import('@electric-sql/pglite');
      const pglite = await PGlite.create(dir);
      db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    } catch (err) {
      lock.release();
      throw new DatabaseUnavailableError(`cannot open the embedded database in ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  let closed = false;
  return {
    db,
    kind,
    location,
    async migrate() {
      const migrator = new Migrator({ db, provider: migrationProvider });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error instanceof Error ? error : new Error(String(error));
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.destroy();
      } finally {
        lock?.release();
      }
    },
  };
}
