import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { Browser } from '../helpers/browser.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/chromium.ts';
import { dockerOk } from '../helpers/docker.ts';
import { Stack } from '../helpers/stack.ts';

// Issue 15, CVE-2024-28233 class: names from users, groups and environments are shown as text on every page the
// hub renders and in the web UI; no script they carry runs. The environment is an image labelled elsewhere (as the
// Python stack or another admin would), so its display name, description and repository URL are whatever was written.
const PREFIX = 'plasma-test/xss-';
const IMAGE = `${PREFIX}evil:HEAD`;
const MARK = 'window.__xss = (window.__xss || 0) + 1';
const PAYLOAD = `<img src=x onerror="${MARK}"><script>${MARK}</script>`;
const DISPLAY = `Evil ${PAYLOAD}`.slice(0, 120);
const ADMIN = 'pt-xss-admin';
const STUDENT = 'pt-xss-student';
const PASSWORD = 'Xss-test-pw-123';

describe('XSS through names (Chromium)', () => {
  const stack = new Stack({ adminUser: ADMIN, config: { environments: { image_prefix: PREFIX } } });
  let browser: TestBrowser;
  const hub = () => stack.hubPagesUrl;
  const dialogs: string[] = [];

  function buildLabelledImage(): void {
    const labels: Record<string, string> = {
      'plasma.environment.name': 'evil', 'plasma.environment.image': IMAGE, 'plasma.environment.display_name': DISPLAY,
      'plasma.environment.description': `About ${PAYLOAD}`, 'plasma.environment.repo': 'javascript:alert(document.domain)',
      'plasma.environment.ref': `HEAD${PAYLOAD}`,
    };
    const args = ['build', '-q', '-t', IMAGE, ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), '-'];
    const res = spawnSync('docker', args, { input: 'FROM plasma/base:latest\n', encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`docker build: ${res.stderr}`);
  }

  before(async () => {
    dockerOk('rmi', '-f', IMAGE);
    buildLabelledImage();
    await stack.start();
    await stack.cli(['users', 'passwd', ADMIN], PASSWORD);
    await stack.cli(['users', 'add', STUDENT, '--password-stdin'], PASSWORD);
    assert.equal((await stack.api('POST', '/groups/pt-xss-class', { json: { users: [STUDENT] } })).status, 201);
    assert.equal((await stack.api('POST', '/plasma/environments/evil/groups', { json: { groups: ['pt-xss-class'] } })).status, 200);
    browser = await launchBrowser();
    browser.context.on('page', (p) => p.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); }));
  });
  after(async () => {
    await browser?.close();
    await stack.stop();
    dockerOk('rmi', '-f', IMAGE);
  });

  async function ranScript(page: Page): Promise<number> {
    return page.evaluate(() => (window as unknown as { __xss?: number }).__xss ?? 0);
  }

  it('user and group names that carry markup are refused when they are made', async () => {
    for (const [path, json] of [
      [`/users/${encodeURIComponent('<script>x</script>')}`, undefined], ['/users', { usernames: ['"><img src=x onerror=alert(1)>'] }],
      [`/groups/${encodeURIComponent('<b onmouseover=alert(1)>')}`, undefined], ['/groups', { groups: ['<script>x</script>'] }],
    ] as Array<[string, unknown]>) {
      const res = await stack.api('POST', path, { json });
      assert.equal(res.status, 400, `${path} ${JSON.stringify(json)} → ${res.status}`);
    }
    assert.equal((await stack.api('PATCH', `/users/${STUDENT}`, { json: { name: '<i>x</i>' } })).status, 400);
  });

  it('every page of the web UI shows the environment\'s labels as text, for the admin and the student', async () => {
    const admin = await browser.newPage();
    await signIn(admin, hub(), ADMIN, PASSWORD);
    const pages = ['home', 'spawn', 'admin/users', `admin/users/${STUDENT}`, 'admin/groups', 'admin/groups/pt-xss-class', 'environments',
      'environments/evil', 'permissions', 'token', 'monitoring'];
    for (const path of pages) {
      await admin.goto(`${hub()}${path}`);
      await admin.waitForLoadState('networkidle');
      assert.equal(await ranScript(admin), 0, `a script ran on /hub/${path}`);
    }
    await admin.goto(`${hub()}environments/evil`);
    await admin.getByText(DISPLAY).first().waitFor().catch(async (err) => {
      throw new Error(`${err.message}\npage text: ${(await admin.locator('body').innerText()).slice(0, 1500)}`);
    });
    assert.equal(await admin.locator('a[href^="javascript:"]').count(), 0, 'a javascript: repository is not a link');

    const student = await browser.newPage();
    await browser.context.clearCookies();
    await signIn(student, hub(), STUDENT, PASSWORD);
    await student.goto(`${hub()}spawn`);
    await student.getByText(DISPLAY).first().waitFor().catch(async (err) => {
      throw new Error(`${err.message}\npage ${student.url()}: ${(await student.locator('body').innerText()).slice(0, 1500)}`);
    });
    assert.equal(await student.locator('a[href^="javascript:"]').count(), 0);
    assert.equal(await ranScript(student), 0);
    // Names in the app's own URLs are route parameters: shown as text too.
    for (const path of [`open/${encodeURIComponent(PAYLOAD)}`, `spawn-pending/${encodeURIComponent(PAYLOAD)}`, `user/${encodeURIComponent(PAYLOAD)}/`,
      `spawn/${STUDENT}/${encodeURIComponent(PAYLOAD)}`, `monitoring/${encodeURIComponent(PAYLOAD)}`]) {
      await student.goto(`${hub()}${path}`);
      await student.waitForLoadState('networkidle');
      assert.equal(await ranScript(student), 0, `a script ran on /hub/${path}`);
    }
    assert.deepEqual(dialogs, []);
  });

  it("cookie tossing in Chromium: a page under /user/<someone>/ that sets the hub's cookie does not make the victim that someone", async () => {
    // MALLORY's "server": a page on the hub's origin (a route in the proxy) whose script tosses MALLORY's session cookie.
    const mallory = new Browser(stack.publicUrl);
    assert.equal((await mallory.login(ADMIN, PASSWORD)).status, 200);
    const tossed = mallory.cookie('plasma-hub-login')!;
    const evil = http.createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<p>hello</p><script>for (const p of ['/hub/', '/hub/api/', '/hub/home', '/hub/api/user']) document.cookie = 'plasma-hub-login=${tossed}; path=' + p;</script>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    const port = (evil.address() as { port: number }).port;
    const routes = `${stack.proxyApiUrl}/api/routes/user/pt-xss-mallory`;
    const auth = { Authorization: `token ${stack.env.CONFIGPROXY_AUTH_TOKEN}` };
    assert.equal((await fetch(routes, { method: 'POST', headers: auth, body: JSON.stringify({ target: `http://127.0.0.1:${port}` }) })).status, 201);
    try {
      await browser.context.clearCookies();
      const victim = await browser.newPage();
      await signIn(victim, hub(), STUDENT, PASSWORD);
      await victim.goto(`${stack.publicUrl}/user/pt-xss-mallory/`);
      await victim.getByText('hello').waitFor();
      const names = (await browser.context.cookies()).filter((c) => c.name === 'plasma-hub-login').map((c) => c.path).sort();
      assert.ok(names.length > 1, `the page did toss a cookie: ${names}`);
      // Whatever the victim opens now, the hub never takes them for ADMIN (the tossed session).
      for (const path of ['home', 'admin/users']) {
        await victim.goto(`${hub()}${path}`);
        await victim.waitForLoadState('networkidle');
        const config = await victim.evaluate(() => document.querySelector('meta[name="plasma-config"]')?.getAttribute('content') ?? null);
        if (config) assert.notEqual(JSON.parse(config).user?.name, ADMIN, `/hub/${path} as the tossed session`);
      }
      const who = await victim.evaluate(async (api) => {
        const meta = document.querySelector('meta[name="plasma-config"]')?.getAttribute('content');
        const xsrf = meta ? JSON.parse(meta).xsrf : '';
        const res = await fetch(`${api}/user`, { headers: { 'X-XSRFToken': xsrf } });
        return res.ok ? (await res.json()).name : res.status;
      }, stack.apiUrl);
      assert.notEqual(who, ADMIN, 'the API does not answer as the tossed session');
    } finally {
      await fetch(routes, { method: 'DELETE', headers: auth });
      evil.close();
    }
  });

  it('the pages the hub renders itself echo what they were given as text', async () => {
    await browser.context.clearCookies();
    const page = await browser.newPage();
    // The check itself: the payload, where it is markup, does run and is seen.
    await page.setContent(`<p>control</p>${PAYLOAD}`);
    await page.waitForFunction(() => ((window as unknown as { __xss?: number }).__xss ?? 0) >= 2);
    // The sign-in form keeps the typed name after a failed attempt.
    await page.goto(`${hub()}login?next=${encodeURIComponent(`/hub/home"><script>${MARK}</script>`)}`);
    await page.getByLabel('Username').fill(`"><img src=x onerror="${MARK}">`);
    await page.getByLabel('Password', { exact: true }).fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByLabel('Username').inputValue(), `"><img src=x onerror="${MARK}">`);
    assert.equal(await ranScript(page), 0, 'the login page');
    // Error pages and the OAuth provider's refusals, with markup in what they name.
    const urls = [`error/${encodeURIComponent(PAYLOAD)}`, `api/oauth2/authorize?client_id=${encodeURIComponent(PAYLOAD)}&redirect_uri=x`,
      `no-such-page/${encodeURIComponent(PAYLOAD)}`];
    await signIn(page, hub(), STUDENT, PASSWORD);
    for (const url of urls) {
      await page.goto(`${hub()}${url}`);
      assert.equal(await ranScript(page), 0, `/hub/${url}`);
    }
    await page.goto(`${hub()}api/oauth2/authorize?client_id=${encodeURIComponent(PAYLOAD)}&redirect_uri=x`);
    assert.match(await page.locator('body').innerText(), /Unknown OAuth client <img src=x/, 'the client id is shown as text');
    // The spawn form's refusal names the environment asked for.
    await page.goto(`${hub()}home`);
    await page.evaluate(([action, payload]) => {
      const meta = document.querySelector('meta[name="plasma-config"]')!.getAttribute('content')!;
      const form = Object.assign(document.createElement('form'), { method: 'post', action });
      for (const [name, value] of [['_xsrf', JSON.parse(meta).xsrf], ['environment', payload]]) {
        form.append(Object.assign(document.createElement('input'), { name, value }));
      }
      document.body.append(form);
      form.submit();
    }, [`${hub()}spawn`, PAYLOAD]);
    await page.waitForURL(`${hub()}spawn`);
    await page.getByRole('alert').waitFor();
    assert.match(await page.locator('body').innerText(), /<img src=x/, 'the refusal shows the name as text');
    assert.equal(await ranScript(page), 0, 'the spawn form\'s refusal');
    assert.deepEqual(dialogs, []);
  });
});
