/**
 * Launching Debian's Chromium through playwright-core for the page tests (no downloaded browsers, no network),
 * optionally with a fake camera playing a Y4M clip, and saving screenshots under test-results/h5/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../test/helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const SKIP_REASON = HAVE_CHROMIUM
  ? false
  : `${CHROMIUM} is missing: browser tests skipped (apt-get install chromium)`;
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-results/h5');

export interface LaunchOptions {
  /** Y4M clip for the fake camera; without it no camera device exists. */
  camera?: string;
  /** Grant camera permission automatically (the fake UI); false = the permission prompt is denied. */
  allowCamera?: boolean;
  /** Browser language (navigator.languages); default zh-CN. */
  locale?: string;
  /** Extra Chromium arguments. */
  args?: string[];
}

export interface LaunchedBrowser {
  context: BrowserContext;
  /** A phone-sized page. */
  page: Page;
  /** Uncaught page errors and console errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Chromium on a new, empty profile directory, with one phone-sized page. */
export async function launch(opts: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'shiren-chromium-'));
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    ...(opts.camera ? ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${opts.camera}`] : []),
    ...(opts.allowCamera ? ['--use-fake-ui-for-media-stream'] : []),
    ...(opts.args ?? []),
  ];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    timeout: 60_000,
    viewport: { width: 390, height: 780 },
    deviceScaleFactor: 1,
    locale: opts.locale ?? 'zh-CN',
    hasTouch: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Waits until the page shows the named screen (data-screen) and returns its element handle's attributes. */
export async function waitForScreen(page: Page, name: string, timeout = 30_000): Promise<Record<string, string>> {
  const el = await page.waitForSelector(`[data-screen="${name}"]`, { timeout });
  return el.evaluate((node) => ({ ...(node as HTMLElement).dataset }) as Record<string, string>);
}

/** Waits for the first of several screens; returns its name and data attributes. */
export async function waitForAnyScreen(
  page: Page,
  names: string[],
  timeout = 30_000,
): Promise<Record<string, string> & { screen: string }> {
  const el = await page.waitForSelector(names.map((n) => `[data-screen="${n}"]`).join(', '), { timeout });
  return el.evaluate((node) => ({ ...(node as HTMLElement).dataset }) as Record<string, string> & { screen: string });
}
