/**
 * Shared by the console page tests: the console build, the server and browser they start, screenshots and the
 * sign-in through the page.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../test/helpers.js';
import { launch, type LaunchedBrowser } from './browser.js';
import { serve, type Served } from './serve.js';
import { ensureViteBuild } from './static.js';

const CONSOLE_ROOT = path.join(REPO_ROOT, 'web/console');
const SHOTS = path.join(REPO_ROOT, 'test-results/console');

/** Builds web/console unless its dist is newer than every source file. */
export function ensureConsoleBuild(): Promise<void> {
  return ensureViteBuild(CONSOLE_ROOT);
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

/**
 * A console user made by the signed-in admin on the Users screen; then the admin signs out and the new user signs in.
 */
export async function signInAsNewUser(page: Page, base: string, username: string, password: string, role: string) {
  await page.click('[data-nav="users"]');
  await page.waitForSelector('form[data-form="create-user"]');
  await page.fill('form[data-form="create-user"] input[name="username"]', username);
  await page.fill('form[data-form="create-user"] input[name="password"]', password);
  await page.selectOption('form[data-form="create-user"] select[name="role"]', role);
  await page.click('form[data-form="create-user"] button[type="submit"]');
  await page.waitForSelector(`[data-username="${username}"]`);
  await page.click('[data-action="sign-out"]');
  await signIn(page, base, username, password);
}

export interface StartedConsole {
  server: Served;
  b: LaunchedBrowser;
  /** The first-run admin's password, read from the start banner. */
  adminPassword: string;
  /** Closes the browser, then stops the server. */
  stop(): Promise<void>;
}

/**
 * The console page tests' start: the console build, `shiren serve` with the face engine off (and `env`), the
 * first-run admin password from its banner, Chromium (`locale`) with a desktop-sized page (`viewport`, 1280×900 by
 * default) that accepts the page's confirmation dialogs when `acceptDialogs`.
 */
export async function startConsole(opts: {
  env?: Record<string, string>;
  locale: string;
  viewport?: { width: number; height: number };
  acceptDialogs: boolean;
}): Promise<StartedConsole> {
  await ensureConsoleBuild();
  const server = await serve({ SHIREN_ENGINE: 'off', ...opts.env });
  let b: LaunchedBrowser | undefined;
  const stop = async () => {
    await b?.close();
    await server.stop();
  };
  try {
    const adminPassword = /username admin\s+password (\S+)/.exec(server.banner)?.[1] ?? '';
    assert.ok(adminPassword, 'the first-run admin password is in the banner');
    const browser = await launch({ locale: opts.locale });
    b = browser;
    await browser.page.setViewportSize(opts.viewport ?? { width: 1280, height: 900 });
    if (opts.acceptDialogs) browser.page.on('dialog', (d) => void d.accept());
    return { server, b: browser, adminPassword, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
