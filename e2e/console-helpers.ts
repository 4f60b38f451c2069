/** Shared by the console page tests: the console build, screenshots and the sign-in through the page. */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../test/helpers.js';

const CONSOLE_ROOT = path.join(REPO_ROOT, 'web/console');
const SHOTS = path.join(REPO_ROOT, 'test-results/console');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds web/console unless its dist is newer than every source file. */
export async function ensureConsoleBuild(): Promise<void> {
  const index = path.join(CONSOLE_ROOT, 'dist/index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(CONSOLE_ROOT)) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(CONSOLE_ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

export async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

export async function signIn(page: Page, base: string, username: string, password: string) {
  await page.goto(`${base}/console/`);
  await page.waitForSelector('[data-screen="sign-in"]');
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('form[data-form="sign-in"] button[type="submit"]');
  await page.waitForSelector(`[data-user="${username}"]`);
}
