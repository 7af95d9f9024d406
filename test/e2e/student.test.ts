import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, printScreenshots, screenshot, seriousViolations, signIn, tabTo, type TestBrowser } from '../helpers/chromium.ts';
import { HubLog } from '../helpers/hub-log.ts';
import { Stack, waitFor } from '../helpers/stack.ts';
import { useSlowStartSwitch } from '../helpers/slow-start.ts';

const STUDENT = 'pt-uistu';
const PASSWORD = 'student-pass-1';
const BASE = '/plasma/';
const ANNOUNCEMENT = 'Exam on <b>Friday</b> & "bring pens"';

// Issue 12, must-show 1–4 for a student: sign in, start with the progress bar, the framed server, stop, tokens;
// under a base_url that is not '/', with the keyboard alone for the main flow.
describe('a student in the web UI (base_url /plasma/)', () => {
  let slowFlag = '';
  const stack = new Stack({
    config: {
      hub: { base_url: BASE, login_throttle: { max_failures: 2, window_seconds: 60 } },
      ui: { announcement: ANNOUNCEMENT },
      culler: { enabled: false },
    },
  });
  const log = new HubLog(() => stack.hubLog);
  let browser: TestBrowser;
  let page: Page;
  const hub = () => stack.hubPagesUrl;

  before(async () => {
    await stack.start();
    slowFlag = await useSlowStartSwitch(stack); // so Cancel can be pressed in time
    await stack.cli(['users', 'add', STUDENT, '--password-stdin'], PASSWORD);
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await stack.stop();
    printScreenshots();
  });

  it('the sign-in page: announcement escaped, messages next to empty fields and nothing sent, show/hide password', async () => {
    await page.goto(`${hub()}login`);
    assert.equal(await page.getByRole('note', { name: 'Announcement' }).textContent(), ANNOUNCEMENT, 'shown as text, not HTML');
    assert.equal(await page.locator('.banner b').count(), 0);
    assert.equal(await page.evaluate(() => document.querySelector('link[rel=icon]')?.getAttribute('href')), `${BASE}hub/favicon.ico`);
    assert.ok(await page.locator('img[src$="/hub/logo"]').evaluate((img: HTMLImageElement) => img.naturalWidth > 0), 'the logo loads');
    await screenshot(page, 'login');
    assert.deepEqual(await seriousViolations(page), []);

    const mark = log.mark();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForTimeout(500);
    assert.equal(await page.locator('#username-error').textContent(), 'Enter your username.');
    assert.equal(await page.locator('#password-error').textContent(), 'Enter your password.');
    assert.equal(await page.getByLabel('Username').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(log.sent(mark, 'POST', `${BASE}hub/login`), [], 'an empty form is not sent');
    await screenshot(page, 'login-empty');

    const password = page.getByLabel('Password', { exact: true });
    await password.fill('secret');
    const toggle = page.getByRole('button', { name: 'Show password' });
    await toggle.click();
    assert.equal(await password.getAttribute('type'), 'text');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await toggle.click();
    assert.equal(await password.getAttribute('type'), 'password');
  });

  it('bad credentials get a clear error; after too many, the wait is shown and counts down', async () => {
    await page.goto(`${hub()}login`);
    await page.getByLabel('Username').fill('pt-uinobody');
    await page.getByLabel('Password', { exact: true }).fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/hub\/login/);
    assert.equal(await page.getByRole('alert').textContent(), 'Invalid username or password.');
    assert.equal(await page.getByLabel('Username').inputValue(), 'pt-uinobody', 'the username is kept');
    await page.getByLabel('Password', { exact: true }).fill('wrong-again');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
    await page.getByLabel('Password', { exact: true }).fill('wrong-thrice');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
    const alert = page.getByRole('alert');
    assert.match(await alert.textContent() ?? '', /Too many failed sign-in attempts\. Try again in \d+ s\./);
    assert.equal(await page.getByRole('button', { name: 'Sign in' }).isDisabled(), true, 'the button waits with the throttle');
    const first = Number(/in (\d+) s/.exec(await alert.textContent() ?? '')![1]);
    await page.waitForTimeout(2100);
    const later = Number(/in (\d+) s/.exec(await alert.textContent() ?? '')![1]);
    assert.ok(later < first, `the wait counts down (${first} → ${later})`);
    await screenshot(page, 'login-throttled');
  });

  it('without JavaScript the sign-in form still works (scripts and load tools use it)', async () => {
    const plain = await launchBrowser({ javaScript: false });
    try {
      const p = await plain.newPage();
      await p.goto(`${hub()}login?next=${encodeURIComponent(`${BASE}hub/token`)}`);
      await p.fill('#username', STUDENT);
      await p.fill('#password', PASSWORD);
      await Promise.all([p.waitForURL(/\/hub\/token$/), p.click('#submit')]);
      assert.equal(new URL(p.url()).pathname, `${BASE}hub/token`, '?next= is followed');
    } finally {
      await plain.close();
    }
  });

  it('sign in, start, watch the progress reach ready and the framed server load, stop: with the keyboard alone', async () => {
    await page.goto(`${hub()}login`);
    await page.keyboard.type(STUDENT); // the username field has the focus
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await Promise.all([page.waitForURL(/\/hub\/home$/), page.keyboard.press('Enter')]);
    await page.getByRole('heading', { name: 'Your servers' }).waitFor();
    assert.equal(await page.getByRole('note', { name: 'Announcement' }).textContent(), ANNOUNCEMENT);
    await screenshot(page, 'home-empty');
    assert.deepEqual(await seriousViolations(page), []);

    await tabTo(page, page.getByRole('link', { name: 'Start a server' }).last());
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/hub\/spawn$/);
    const start = page.getByRole('button', { name: 'Start Default environment' });
    await start.waitFor();
    await screenshot(page, 'spawn');
    assert.deepEqual(await seriousViolations(page), []);
    await tabTo(page, start);
    await page.keyboard.press('Enter');

    await page.waitForURL(/\/hub\/spawn-pending\/pt-uistu$/);
    const bar = page.getByRole('progressbar', { name: 'Progress' });
    await page.getByText('Your server is ready.').waitFor({ timeout: 60_000 });
    assert.equal(await bar.getAttribute('aria-valuenow'), '100');
    assert.ok(await page.getByRole('log', { name: 'Event log' }).getByText('Server requested').isVisible(), 'the event log lists the events');
    await screenshot(page, 'spawn-pending-ready');

    await page.waitForURL(/\/hub\/open\/pt-uistu$/);
    const frame = await waitForJupyter(page);
    // Jupyter's own page loads the hub's logo.
    assert.ok(await frame.locator('img[src$="/hub/logo"]').first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0));
    await page.waitForTimeout(3000); // the side panel folds itself away
    await screenshot(page, 'frame');

    const toggle = page.getByRole('button', { name: 'Show the server menu' });
    await tabTo(page, toggle);
    await page.keyboard.press('Enter');
    const stop = page.getByRole('region', { name: 'Server menu' }).getByRole('button', { name: 'Stop' });
    await tabTo(page, stop);
    await screenshot(page, 'frame-panel');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Stop' }).waitFor();
    await page.keyboard.press('Enter'); // the dialog's Stop has the focus
    await page.waitForURL(/\/hub\/home$/);
    await waitFor(async () => (await stack.api('GET', `/users/${STUDENT}`)).data.server === null, 30_000, 'the server to stop');
    await page.getByRole('row', { name: /default.*Stopped/ }).waitFor();
    await screenshot(page, 'home-stopped');
  });

  it('links the server opens in a new tab stay in the frame', async () => {
    await page.goto(`${hub()}spawn`);
    await page.getByRole('button', { name: 'Start Default environment' }).click();
    await page.waitForURL(/\/hub\/open\/pt-uistu$/, { timeout: 60_000 });
    const frame = await waitForJupyter(page);
    const tabs = browser.context.pages().length;
    // notebook 6 opens an empty window and then sets its location; JupyterLab calls window.open(url).
    await frame.evaluate((base) => { const w = window.open(); w!.location.href = `${base}user/pt-uistu/tree?opened=1`; }, BASE);
    await waitFor(() => frame.url().includes('opened=1'), 15_000, 'the frame to follow window.open');
    const again = await waitForJupyter(page);
    await again.evaluate((base) => {
      const a = document.createElement('a');
      a.href = `${base}user/pt-uistu/tree?clicked=1`;
      a.target = '_blank';
      a.textContent = 'new tab link';
      document.body.appendChild(a);
      a.click();
    }, BASE);
    await waitFor(() => page.frames().some((f) => f.url().includes('clicked=1')), 15_000, 'the frame to follow a target=_blank link');
    assert.equal(browser.context.pages().length, tabs, 'no new tab was opened');
    assert.match(page.url(), /\/hub\/open\/pt-uistu$/, 'the app stays around the frame');
    assert.equal((await stack.api('DELETE', `/users/${STUDENT}/server`)).status, 204);
  });

  it('the frame shows a loading overlay, and a Reload button when the server takes more than 15 s', async () => {
    await page.goto(`${hub()}spawn`);
    await page.getByRole('button', { name: 'Start Default environment' }).click();
    await page.waitForURL(/\/hub\/open\/pt-uistu$/, { timeout: 60_000 });
    await waitForJupyter(page);
    await page.goto(`${hub()}home`);
    await page.getByRole('row', { name: /default.*Running/ }).waitFor();
    await screenshot(page, 'home-running');

    const slow = await browser.newPage();
    try {
      await slow.clock.install();
      // The server's own pages do not answer (they hang), as when it is overloaded, until `answer` is set.
      let answer = false;
      await slow.route(/\/user\/pt-uistu\//, (route) => (answer ? route.continue() : undefined));
      await slow.goto(`${hub()}open/${STUDENT}`);
      await slow.getByText('Loading your server…').waitFor();
      await slow.clock.fastForward(16_000);
      const reload = slow.getByRole('button', { name: 'Reload' });
      await reload.waitFor();
      assert.ok(await slow.getByText('Your server is taking long to answer.').isVisible());
      await screenshot(slow, 'frame-slow');
      answer = true;
      await reload.click();
      await waitForJupyter(slow);
    } finally {
      await slow.close();
    }
    assert.equal((await stack.api('DELETE', `/users/${STUDENT}/server`)).status, 204);
  });

  it('Cancel during a start stops it and says so', async () => {
    fs.writeFileSync(slowFlag, '');
    try {
      await page.goto(`${hub()}spawn`);
      await page.getByRole('button', { name: 'Start Default environment' }).click();
      await page.waitForURL(/\/hub\/spawn-pending\/pt-uistu$/);
      await page.getByRole('log', { name: 'Event log' }).getByText('Starting the server').waitFor();
      await screenshot(page, 'spawn-pending');
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByText('The start was cancelled.').waitFor({ timeout: 30_000 });
      await screenshot(page, 'spawn-cancelled');
      const model = (await stack.api('GET', `/users/${STUDENT}`)).data;
      assert.deepEqual([model.server, model.pending], [null, null]);
    } finally {
      fs.rmSync(slowFlag, { force: true });
    }
  });

  it('a stopped server\'s address shows "not running" with a Start button (424)', async () => {
    const res = await page.goto(`${stack.publicUrl}${BASE}user/${STUDENT}/tree`);
    assert.equal(res?.status(), 424);
    await page.getByText(`${STUDENT}'s server is not running.`).waitFor();
    await page.getByRole('link', { name: 'Start it' }).waitFor();
    await screenshot(page, 'not-running');
    assert.deepEqual(await seriousViolations(page), []);
  });

  it('tokens: bad input is refused next to its field and not sent; create shows it once; revoke asks first', async () => {
    await page.goto(`${hub()}token`);
    const create = page.getByRole('button', { name: 'Create token' });
    const mark = log.mark();
    await page.getByLabel('Note').fill('x'.repeat(1001));
    await page.getByLabel('Scopes').fill('read:users nope:everything');
    await create.click();
    await page.getByText('At most 1000 characters.').waitFor();
    await page.getByText('Unknown scope: nope:everything.').waitFor();
    await page.getByLabel('Expires').click();
    await page.getByRole('option', { name: 'After a number of days' }).click();
    await page.getByLabel('Days').fill('0');
    await create.click();
    await page.getByText('A whole number of days, 1 or more.').waitFor();
    await page.waitForTimeout(300);
    assert.deepEqual(log.sent(mark, 'POST', `${BASE}hub/api/users/${STUDENT}/tokens`), [], 'nothing was sent');
    await screenshot(page, 'tokens-bad-input');

    await page.getByLabel('Note').fill('for my <script> scripts');
    await page.getByLabel('Scopes').fill('read:users!user=pt-uistu');
    await page.getByLabel('Days').fill('3');
    await create.click();
    const shown = page.getByLabel('New token');
    await shown.waitFor();
    const token = (await shown.textContent())!;
    assert.match(token, /^[0-9a-f]{32}$/);
    const me = await fetch(`${stack.apiUrl}/users/${STUDENT}`, { headers: { Authorization: `token ${token}` } });
    assert.equal(me.status, 200, 'the token works, with the scope it was given');
    assert.equal(log.sent(mark, 'POST', `${BASE}hub/api/users/${STUDENT}/tokens`).length, 1);
    const row = page.getByRole('row', { name: /for my <script> scripts/ });
    await row.waitFor();
    assert.match(await row.textContent() ?? '', /in 3 days/);
    await screenshot(page, 'tokens');
    assert.deepEqual(await seriousViolations(page), []);

    await page.reload();
    assert.equal(await page.getByLabel('New token').count(), 0, 'the token is shown once');
    await page.getByRole('button', { name: 'Revoke for my <script> scripts' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Token revoked.').waitFor();
    assert.equal(await page.getByRole('row', { name: /for my <script> scripts/ }).count(), 0);
    const gone = await fetch(`${stack.apiUrl}/users/${STUDENT}`, { headers: { Authorization: `token ${token}` } });
    assert.equal(gone.status, 403, 'the revoked token no longer works');
  });

  it('a student sees no admin pages, in the menu or by address', async () => {
    await page.goto(`${hub()}home`);
    for (const name of ['Users', 'Groups', 'Environments', 'Permissions', 'Monitoring']) {
      assert.equal(await page.getByRole('navigation').getByRole('link', { name }).count(), 0, name);
    }
    const res = await page.goto(`${hub()}admin/users`);
    assert.equal(res?.status(), 403);
    await page.getByRole('heading', { name: '403' }).waitFor();
    await page.getByText('You may not open this page.').waitFor();
    await screenshot(page, 'forbidden');
  });

  it('dark mode, and the phone layout\'s menu', async () => {
    await page.goto(`${hub()}home`);
    await page.getByRole('button', { name: 'Dark mode' }).click();
    await page.waitForFunction(() => document.documentElement.classList.contains('dark'));
    // The pointer still rests on the button: its tooltip fades in, and axe, seeing it half transparent, found its
    // contrast too low. Move away and let it go before checking.
    await page.mouse.move(0, 0);
    await page.locator('.MuiTooltip-popper').waitFor({ state: 'detached' });
    await screenshot(page, 'home-dark');
    assert.deepEqual(await seriousViolations(page), []);
    await page.reload();
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains('dark')), true, 'the choice is kept');
    await page.getByRole('button', { name: 'Light mode' }).click();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Open the menu' }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'Tokens' }).click();
    await page.waitForURL(/\/hub\/token$/);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('logging out ends the session', async () => {
    await page.goto(`${hub()}home`);
    await page.getByRole('link', { name: 'Log out' }).click();
    await page.waitForURL(/\/hub\/login$/);
    await page.goto(`${hub()}home`);
    assert.match(page.url(), /\/hub\/login\?next=/);
  });
});

/** The framed Jupyter server once its file list has loaded (after its OAuth round trip). */
async function waitForJupyter(page: Page) {
  await page.locator('iframe').waitFor();
  await waitFor(() => page.frames().some((f) => /\/user\/pt-uistu\/tree/.test(f.url())), 60_000, 'Jupyter in the frame');
  const frame = page.frames().find((f) => /\/user\/pt-uistu\/tree/.test(f.url()))!;
  await frame.locator('#notebook_list').waitFor({ timeout: 30_000 });
  await page.getByText('Loading your server…').waitFor({ state: 'detached' });
  return frame;
}
