/** Test helpers: temp dirs, configs and the two database backends. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.js';

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

export function tempDir(prefix = 'shiren-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const PG_URL = process.env.SHIREN_TEST_DATABASE_URL;

/** A fresh, empty PostgreSQL database on the test server; dropped by cleanup(). */
export async function freshPostgres(): Promise<{ url: string; cleanup(): Promise<void> }> {
  if (!PG_URL) throw new Error('SHIREN_TEST_DATABASE_URL is not set');
  const name = `shiren_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async cleanup() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface Backend {
  name: 'pglite' | 'postgres';
  /** Environment for a config that uses this backend with a fresh database. */
  setup(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;
}

export const BACKENDS: Backend[] = [
  {
    name: 'pglite',
    async setup() {
      const t = tempDir();
      return { env: { DATA_DIR: t.dir }, cleanup: async () => t.cleanup() };
    },
  },
  ...(PG_URL
    ? [
        {
          name: 'postgres' as const,
          async setup() {
            const t = tempDir();
            const db = await freshPostgres();
            return {
              env: { DATA_DIR: t.dir, DATABASE_URL: db.url },
              cleanup: async () => {
                await db.cleanup();
                t.cleanup();
              },
            };
          },
        },
      ]
    : []),
];

export function testConfig(env: Record<string, string>): Readonly<Config> {
  return loadConfig({ LOG_LEVEL: 'silent', SHIREN_ENGINE: 'off', ...env });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Runs `shiren ARGS…` (src/cli/main.ts through tsx) in a child process with a minimal environment. */
export function runShiren(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SHIREN_ENGINE: 'off', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
