/**
 * bench/ui: Plasma's web UI beside JupyterHub 3.0's own pages, in one run on this machine, both behind
 * configurable-http-proxy 4.5.3, both with the same number of users. Measured in Debian's Chromium (cold cache):
 *   - bytes of the login page and of the admin users page: on the wire, and gzipped (every response gzipped at
 *     level 6, as a gzip-serving front end would send it; JupyterHub itself sends its static files uncompressed);
 *   - time to interactive of the admin users page: navigation start to the first page of users shown and the
 *     main thread idle (requestIdleCallback);
 *   - the hub's own answer time for that first page (GET /hub/api/users?offset=0&limit=50), which bounds it.
 * Prints figures and Plasma/JupyterHub ratios.
 *
 *   npm run build && node --import tsx bench/ui/run.ts [--users 10000] [--runs 5]
 *
 * Not a test: nothing here asserts a time or a size.
 */
import os from 'node:os';
import zlib from 'node:zlib';
import type { CDPSession, Page } from 'playwright-core';
import { launchBrowser } from '../../test/helpers/chromium.ts';
import { startJupyterHubBehindChp } from '../../test/helpers/jupyterhub.ts';
import { Stack } from '../../test/helpers/stack.ts';
import { benchArgs } from '../args.ts';

const values = benchArgs(import.meta.url, { users: { type: 'string', default: '10000' }, runs: { type: 'string', default: '5' } });
const USERS = Number(values.users);
const RUNS = Number(values.runs);
const ADMIN = 'pb-uiadmin';
const PASSWORD = 'bench-ui-pass-1';

interface Target {
  name: string;
  origin: string;
  api: string;
  token: string;
  /** A CSS selector for a user's name in the admin table: present once the first page is shown. */
  row: string;
  adminPath: string;
  login(page: Page): Promise<void>;
}

async function call(t: Target, method: string, url: string, body?: unknown) {
  const res = await fetch(`${t.api}${url}`, {
    method, headers: { Authorization: `token ${t.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(600_000),
  });
  return { status: res.status, text: await res.text() };
}

async function createUsers(t: Target, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i += 500) {
    const names = Array.from({ length: Math.min(500, n - i) }, (_, k) => `pb-u${String(i + k).padStart(5, '0')}`);
    const r = await call(t, 'POST', '/users', { usernames: names });
    if (r.status !== 201) throw new Error(`${t.name}: creating users answered ${r.status} ${r.text.slice(0, 300)}`);
  }
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Loads `url` with an empty cache and adds up what came: bytes on the wire, and each body gzipped. */
async function weigh(page: Page, cdp: CDPSession, url: string): Promise<{ wire: number; gzip: number; raw: number; requests: number }> {
  await cdp.send('Network.clearBrowserCache');
  const wire = new Map<string, number>();
  const onFinished = (e: { requestId: string; encodedDataLength: number }) => wire.set(e.requestId, e.encodedDataLength);
  cdp.on('Network.loadingFinished', onFinished);
  const bodies: Promise<{ raw: number; gzip: number }>[] = [];
  const onResponse = (r: import('playwright-core').Response) => {
    if (r.status() >= 300 && r.status() < 400) return;
    bodies.push(r.body().then((b) => ({ raw: b.length, gzip: zlib.gzipSync(b, { level: 6 }).length }), () => ({ raw: 0, gzip: 0 })));
  };
  page.on('response', onResponse);
  await page.goto(url, { waitUntil: 'networkidle' });
  page.off('response', onResponse);
  cdp.off('Network.loadingFinished', onFinished);
  const sizes = await Promise.all(bodies);
  return {
    wire: [...wire.values()].reduce((a, b) => a + b, 0),
    gzip: sizes.reduce((a, b) => a + b.gzip, 0),
    raw: sizes.reduce((a, b) => a + b.raw, 0),
    requests: sizes.length,
  };
}

/** Navigation start → the first user shown → the main thread idle, in ms, with an empty cache. */
async function timeToInteractive(page: Page, cdp: CDPSession, t: Target): Promise<number> {
  await cdp.send('Network.clearBrowserCache');
  await page.goto(`${t.origin}${t.adminPath}`, { waitUntil: 'commit' });
  const handle = await page.waitForFunction((selector) => {
    const w = window as { __tti?: number; __waiting?: boolean };
    if (w.__tti) return w.__tti;
    if (!w.__waiting && document.querySelector(selector)) {
      w.__waiting = true;
      requestIdleCallback(() => { w.__tti = performance.now(); });
    }
    return false;
  }, t.row, { polling: 'raf', timeout: 60_000 });
  return Number(await handle.jsonValue());
}

async function apiPage(t: Target): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t0 = performance.now();
    const res = await fetch(`${t.api}/users?offset=0&limit=50&include_stopped_servers`, {
      headers: { Authorization: `token ${t.token}`, Accept: 'application/jupyterhub-pagination+json' },
    });
    await res.text();
    times.push(performance.now() - t0);
  }
  return median(times.slice(1));
}

async function measure(t: Target) {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const login = await weigh(page, cdp, `${t.origin}/hub/login`);
    await t.login(page);
    const admin = await weigh(page, cdp, `${t.origin}${t.adminPath}`);
    await page.locator(t.row).first().waitFor();
    const tti: number[] = [];
    for (let i = 0; i < RUNS; i++) tti.push(await timeToInteractive(page, cdp, t));
    return { login, admin, tti: median(tti), ttiAll: tti, api: await apiPage(t) };
  } finally {
    await browser.close();
  }
}

async function startJupyterHub(): Promise<{ target: Target; stop: () => Promise<void> }> {
  const jh = await startJupyterHubBehindChp({
    password: PASSWORD,
    // No server for the admin: the measure is the hub's pages.
    extraConfig: `c.Authenticator.admin_users = {'${ADMIN}'}\nc.JupyterHub.redirect_to_server = False`,
  });
  const origin = jh.hub.publicUrl;
  const target: Target = {
    name: 'JupyterHub 3.0', origin, api: `${origin}/hub/api`, token: jh.hub.adminToken,
    row: '[data-testid="user-row-name"]', adminPath: '/hub/admin',
    async login(page) {
      await page.goto(`${origin}/hub/login?next=${encodeURIComponent('/hub/home')}`);
      await page.fill('#username_input', ADMIN);
      await page.fill('#password_input', PASSWORD);
      await Promise.all([page.waitForURL(/\/hub\/home/), page.click('#login_submit')]);
    },
  };
  return { target, stop: jh.stop };
}

async function main() {
  const stack = new Stack({ proxy: 'chp', adminUser: ADMIN, config: { log_level: 'warn', culler: { enabled: false } } });
  let jh: Awaited<ReturnType<typeof startJupyterHub>> | null = null;
  try {
    await stack.start();
    await stack.cli(['users', 'passwd', ADMIN], PASSWORD);
    const plasma: Target = {
      name: 'Plasma', origin: stack.publicUrl, api: stack.apiUrl, token: stack.adminToken,
      row: 'main table tbody a[href*="/hub/admin/users/"]', adminPath: '/hub/admin/users',
      async login(page) {
        await page.goto(`${stack.publicUrl}/hub/login`);
        await page.fill('#username', ADMIN);
        await page.fill('#password', PASSWORD);
        await Promise.all([page.waitForURL(/\/hub\/home/), page.click('#submit')]);
      },
    };
    jh = await startJupyterHub();
    const created = { plasma: await createUsers(plasma, USERS), jh: await createUsers(jh.target, USERS) };
    const a = await measure(plasma);
    const b = await measure(jh.target);
    console.log(`# ${USERS} users in each hub (created in ${created.plasma.toFixed(1)} s / ${created.jh.toFixed(1)} s); ${os.cpus().length} cores;`
      + ' Chromium, cold cache; both behind CHP 4.5.3');
    const kb = (n: number) => n / 1024;
    const row = (what: string, p: number, j: number, unit: string) =>
      console.log(`${what.padEnd(46)} ${p.toFixed(1).padStart(10)} ${j.toFixed(1).padStart(12)} ${unit.padEnd(5)} ${(p / j).toFixed(2).padStart(6)}×`);
    console.log(`${'measure (lower is better)'.padEnd(46)} ${'Plasma'.padStart(10)} ${'JupyterHub'.padStart(12)} unit   ratio`);
    row('login page, gzipped (all responses)', kb(a.login.gzip), kb(b.login.gzip), 'KiB');
    row('login page, on the wire', kb(a.login.wire), kb(b.login.wire), 'KiB');
    row('admin users page, gzipped (all responses)', kb(a.admin.gzip), kb(b.admin.gzip), 'KiB');
    row('admin users page, on the wire', kb(a.admin.wire), kb(b.admin.wire), 'KiB');
    row(`admin users page, time to interactive (median of ${RUNS})`, a.tti, b.tti, 'ms');
    row('GET /hub/api/users first page of 50 (median)', a.api, b.api, 'ms');
    console.log(`# requests: login ${a.login.requests} / ${b.login.requests}, admin ${a.admin.requests} / ${b.admin.requests};`
      + ` TTI runs (ms): Plasma ${a.ttiAll.map((x) => x.toFixed(0)).join(' ')}, JupyterHub ${b.ttiAll.map((x) => x.toFixed(0)).join(' ')}`);
  } finally {
    await jh?.stop();
    await stack.stop();
  }
}

await main();
