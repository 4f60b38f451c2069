#!/usr/bin/env node
// `npm test`: runs every *.test.ts under src/, test/, web/ and e2e/ with node's test runner (TypeScript through tsx).
// PostgreSQL-backed tests use SHIREN_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test, the
// machine's server). If it cannot be reached they are skipped with a notice, except under CI=true, where that fails.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const noPg = args.includes('--no-pg');
const filters = args.filter((a) => !a.startsWith('--'));

function find(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) find(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

function reachable(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || 5432) });
    s.setTimeout(2000);
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
    s.on('timeout', () => (s.destroy(), resolve(false)));
  });
}

const files = ['src', 'test', 'web', 'e2e']
  .flatMap((d) => find(path.join(root, d)))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const env = { ...process.env };
if (!noPg) {
  const url = env.SHIREN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (await reachable(url)) env.SHIREN_TEST_DATABASE_URL = url;
  else if (env.CI) {
    console.error(`PostgreSQL at ${url} is not reachable, and CI requires the PostgreSQL tests`);
    process.exit(1);
  } else {
    console.error(`notice: PostgreSQL at ${url} is not reachable: PostgreSQL-backed tests are skipped`);
    delete env.SHIREN_TEST_DATABASE_URL;
  }
} else delete env.SHIREN_TEST_DATABASE_URL;

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...files],
  { cwd: root, env, stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
