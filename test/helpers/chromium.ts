import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium with the flags that work on this machine (../shared/reference/toolchain.md). */
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

export const SCREENSHOTS = process.env.PLASMA_SCREENSHOTS || path.join(os.tmpdir(), 'plasma-screenshots');
export const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

export interface TestBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile (its own --user-data-dir), removed on close. */
export async function launchBrowser(options: { javaScript?: boolean; colorScheme?: 'light' | 'dark' } = {}): Promise<TestBrowser> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', headless: true, args: FLAGS, viewport: SIZES.desktop,
    javaScriptEnabled: options.javaScript ?? true, colorScheme: options.colorScheme ?? 'light',
  });
  context.setDefaultTimeout(20_000);
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const shot = new Set<string>();

/** Saves what the page shows at 1280×800 and at 390×844 (outside git), then restores the desktop size. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(250); // layout settles (drawer, table columns)
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${size}.png`) });
    shot.add(`${name}-${size}.png`);
  }
  await page.setViewportSize(SIZES.desktop);
}

export function printScreenshots(): void {
  if (shot.size) console.log(`# screenshots (${shot.size}) in ${SCREENSHOTS}: ${[...shot].sort().join(', ')}`);
}

/** Serious and critical accessibility violations axe-core finds on the page as it is now. */
/** `exclude`: a part of the page that is not Plasma's (the Jupyter server in the frame). */
export async function seriousViolations(page: Page, exclude?: string): Promise<string[]> {
  // Fades and slides first: a half-faded tooltip or dialog is not what anyone reads.
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))));
  const builder = new AxeBuilder({ page });
  if (exclude) builder.exclude(exclude);
  const result = await builder.analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** Signs in through the hub's real login form, as a person would. `hubUrl` is the hub's pages URL (…/hub/). */
export async function signIn(page: Page, hubUrl: string, username: string, password: string, next = ''): Promise<void> {
  await page.goto(`${hubUrl}login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/hub/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Presses Tab until `target` has the focus, as a keyboard user would; fails if it is never reached. */
export async function tabTo(page: Page, target: ReturnType<Page['locator']>, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement || el.contains(document.activeElement)).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target}`);
}
