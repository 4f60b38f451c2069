/** Serving web/h5/dist for the page tests, and building it first when the sources are newer than the build. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../test/helpers.js';

export const H5_ROOT = path.join(REPO_ROOT, 'web/h5');
export const H5_DIST = path.join(H5_ROOT, 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Runs the Vite build of the page at `root` (web/h5, web/console) unless its dist is newer than every source file. */
export async function ensureViteBuild(root: string): Promise<void> {
  const index = path.join(root, 'dist/index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(root)) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
}

/** Runs the Vite build unless web/h5/dist is newer than every source file of web/h5. */
export function ensureH5Build(): Promise<void> {
  return ensureViteBuild(H5_ROOT);
}

/** Reads a file of the build for a URL path under /h5/ (index.html for the page itself); null when absent. */
export async function readH5File(urlPath: string): Promise<{ body: Buffer; type: string } | null> {
  const rel = urlPath.replace(/^\/h5\/?/, '') || 'index.html';
  const file = path.normalize(path.join(H5_DIST, rel));
  if (!file.startsWith(H5_DIST + path.sep)) return null;
  try {
    return { body: await readFile(file), type: TYPES[path.extname(file)] ?? 'application/octet-stream' };
  } catch {
    return null;
  }
}
