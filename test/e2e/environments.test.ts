import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, printScreenshots, screenshot, seriousViolations, signIn, type TestBrowser } from '../helpers/chromium.ts';
import { dockerOk, removeUserContainers } from '../helpers/docker.ts';
import { GitServer } from '../helpers/git-server.ts';
import { HubLog } from '../helpers/hub-log.ts';
import { Stack, waitFor } from '../helpers/stack.ts';
import { createSystemUser, removeSystemGroup, removeSystemUser } from '../helpers/system-users.ts';

const ADMIN = 'pt-uienvadm';
const MEMBER = 'pt-uimember';
const OUTSIDER = 'pt-uioutsider';
const CLASS = 'pt-uiclass';
const PASSWORD = 'Ui-env-pass-1!';
const PREFIX = 'plasma-test/ui-';
const IMAGE = `${PREFIX}intro:HEAD`;
const DISPLAY = 'Intro <b>Python</b>';
const users = [ADMIN, MEMBER, OUTSIDER];
const notebook = JSON.stringify({ cells: [{ cell_type: 'markdown', metadata: {}, source: ['# Lesson 1'] }], metadata: {}, nbformat: 4, nbformat_minor: 5 });

// Issue 12, must-show 1: an environment added from a local git repository, its live log to "built", a group
// granted; a member sees it on the spawn page, a non-member does not; monitoring shows the member's server.
describe('environments, permissions and monitoring in the web UI (Docker)', () => {
  const repos = new GitServer();
  const stack = new Stack({
    adminUser: ADMIN,
    config: {
      auth: { type: 'pam' },
      spawner: { type: 'docker', docker: { network: 'host', stop_timeout: 1 } },
      environments: { build_network: 'host', image_prefix: PREFIX, local_roots: [repos.root], groups: [CLASS] },
      monitoring: { interval: 1 },
      culler: { enabled: false },
    },
  });
  const log = new HubLog(() => stack.hubLog);
  let browser: TestBrowser;
  let admin: Page;
  const hub = () => stack.hubPagesUrl;

  before(async () => {
    dockerOk('rmi', '-f', IMAGE);
    repos.commit('intro', { 'intro.ipynb': notebook, 'README.md': '# Intro course\n' });
    repos.commit('sleepy', { postBuild: { content: '#!/bin/bash\necho sleepy-start\nsleep 120\n', mode: 0o755 } });
    createSystemUser(ADMIN, PASSWORD);
    createSystemUser(MEMBER, PASSWORD, [CLASS]);
    createSystemUser(OUTSIDER, PASSWORD);
    await stack.start();
    browser = await launchBrowser();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    admin = await browser.newPage();
    await signIn(admin, hub(), ADMIN, PASSWORD);
  });
  after(async () => {
    await browser?.close();
    await stack.stop();
    removeUserContainers(users);
    dockerOk('rmi', '-f', IMAGE, `${PREFIX}sleepy:HEAD`);
    for (const user of users) removeSystemUser(user);
    removeSystemGroup(CLASS);
    repos.stop();
    printScreenshots();
  });

  it('the add dialog refuses bad input next to each field and sends nothing', async () => {
    await admin.goto(`${hub()}environments`);
    await admin.getByText('No environment yet. Add one from a git repository.').waitFor();
    await screenshot(admin, 'environments-empty');
    await admin.getByRole('button', { name: 'Add environment' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Add an environment' });
    const mark = log.mark();
    await dialog.getByLabel('Repository URL').fill('not a url');
    await dialog.getByLabel('Name', { exact: true }).fill('Bad Name');
    await dialog.getByLabel('Memory limit').fill('lots');
    await dialog.getByLabel('CPU limit').fill('-1');
    await dialog.getByLabel('Build arguments').fill('YEAR=2026\noops');
    await dialog.getByRole('button', { name: 'Build' }).click();
    for (const message of [
      'An https://, http:// or git:// URL, or a file:// URL or absolute path of a local repository.',
      'Use lower-case letters, digits, _ and - (starting with a letter or digit), 63 characters at most.',
      'A size such as 512M or 2G, or empty for the default.',
      'A positive number such as 1 or 1.5, or empty for the default.',
      'Line 2 must be KEY=VALUE.',
    ]) await dialog.getByText(message).waitFor();
    await screenshot(admin, 'environments-add-errors');
    assert.deepEqual(await seriousViolations(admin), []);
    await admin.waitForTimeout(300);
    assert.deepEqual(log.sent(mark, 'POST', '/hub/api/plasma/environments'), [], 'nothing was sent');
  });

  it('adds an environment from a local repository and watches its log reach "built"', async () => {
    const dialog = admin.getByRole('dialog', { name: 'Add an environment' });
    await dialog.getByLabel('Repository URL').fill(repos.path('intro'));
    await dialog.getByLabel('Name', { exact: true }).fill('intro');
    await dialog.getByLabel('Display name').fill(DISPLAY);
    await dialog.getByLabel('Memory limit').fill('512M');
    await dialog.getByLabel('CPU limit').fill('1');
    await dialog.getByLabel('Build arguments').fill('YEAR=2026');
    await dialog.getByRole('button', { name: 'Build' }).click();
    await admin.waitForURL(/\/hub\/environments\/intro$/, { timeout: 60_000 });
    await admin.getByRole('heading', { name: DISPLAY }).waitFor();
    const terminal = admin.locator('.xterm-rows');
    await waitFor(async () => /Step \d+\/\d+/.test(await terminal.textContent() ?? ''), 120_000, 'build steps in the terminal');
    await screenshot(admin, 'environment-building');
    await admin.getByText('Built.', { exact: true }).waitFor({ timeout: 600_000 });
    assert.equal((await stack.api('GET', '/plasma/environments/intro')).data.status, 'built');
    await admin.getByRole('button', { name: 'Copy' }).click();
    assert.match(await admin.evaluate(() => navigator.clipboard.readText()), /Step 1\/\d+ : FROM/, 'Copy takes the whole log');
    await screenshot(admin, 'environment-built');
    assert.deepEqual(await seriousViolations(admin), []);

    await admin.goto(`${hub()}environments`);
    const row = admin.getByRole('row', { name: /Intro <b>Python<\/b>/ });
    await row.getByText('Built').waitFor();
    assert.equal(await admin.locator('td b').count(), 0, 'the display name is text, not HTML');
    assert.match(await row.textContent() ?? '', /\d+(\.\d)? (MB|GB)/, 'the image size');
    assert.match(await row.textContent() ?? '', new RegExp(ADMIN), 'the owner');
    await screenshot(admin, 'environments');
    assert.deepEqual(await seriousViolations(admin), []);
  });

  it('a running build shows its live step and log, and Cancel build stops it', async () => {
    assert.equal((await stack.api('POST', '/plasma/environments', { json: { repo: repos.path('sleepy') } })).status, 202);
    await admin.goto(`${hub()}environments`);
    await admin.getByRole('row', { name: /sleepy/ }).getByRole('progressbar').waitFor({ timeout: 60_000 });
    await admin.getByRole('link', { name: 'sleepy', exact: true }).click();
    await admin.waitForURL(/\/hub\/environments\/sleepy$/);
    await waitFor(async () => /sleepy-start/.test(await admin.locator('.xterm-rows').textContent() ?? ''), 120_000, 'the live log');
    await admin.getByText(/^Step \d+ of \d+$/).first().waitFor();
    await screenshot(admin, 'environment-building-live');
    await admin.getByRole('button', { name: 'Cancel build' }).click();
    await admin.getByRole('dialog', { name: 'Cancel build' }).getByRole('button', { name: 'Cancel build' }).click();
    await admin.getByText(`The build failed: cancelled by ${ADMIN}`).waitFor({ timeout: 60_000 });
    assert.equal(dockerOk('image', 'inspect', `${PREFIX}sleepy:HEAD`).code, 1, 'no image was made');
    assert.equal((await stack.api('DELETE', '/plasma/environments/sleepy')).status, 204);
  });

  it('grants a group in the permissions matrix, and says that it saved', async () => {
    await admin.goto(`${hub()}permissions`);
    const box = admin.getByRole('checkbox', { name: `${CLASS} may use intro` });
    await box.check();
    await admin.getByText('Unsaved changes').waitFor();
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByRole('status').filter({ hasText: 'Permissions saved.' }).first().waitFor();
    assert.deepEqual((await stack.api('GET', '/plasma/permissions')).data.permissions.intro, [CLASS]);
    await admin.getByLabel('Filter environments or groups').fill('nothing-matches');
    await admin.waitForURL(/q=nothing-matches/);
    assert.equal(await box.isVisible(), true, 'a filter that matches nothing hides nothing');
    await admin.getByLabel('Filter environments or groups').fill('intro');
    await admin.waitForURL(/q=intro/);
    await screenshot(admin, 'permissions');
    assert.deepEqual(await seriousViolations(admin), []);
  });

  it('a member sees the environment on the spawn page, a non-member does not; the member starts it', async () => {
    const third = await launchBrowser(); // each person their own browser (cookies)
    try {
      const outsider = await third.newPage();
      await signIn(outsider, hub(), OUTSIDER, PASSWORD);
      await outsider.goto(`${hub()}spawn`);
      await outsider.getByText('No environment is available to you yet. Ask your teacher or an administrator.').waitFor();
      assert.equal(await outsider.getByText(DISPLAY).count(), 0);
      await screenshot(outsider, 'spawn-none');
    } finally {
      await third.close();
    }

    const other = await launchBrowser();
    try {
      const member = await other.newPage();
      await signIn(member, hub(), MEMBER, PASSWORD);
      await member.goto(`${hub()}spawn`);
      const card = member.getByRole('region', { name: DISPLAY });
      await card.waitFor();
      assert.match(await card.textContent() ?? '', /512M/);
      assert.equal(await member.locator('h2 b').count(), 0, 'the display name is text, not HTML');
      await screenshot(member, 'spawn-environments');
      await member.goto(`${hub()}spawn?view=table`);
      await member.getByRole('region', { name: 'Choose an environment' }).getByText(DISPLAY).waitFor();
      await screenshot(member, 'spawn-environments-table');
      assert.deepEqual(await seriousViolations(member), []);
      await member.getByRole('button', { name: `Start ${DISPLAY}` }).click();
      await member.waitForURL(/\/hub\/open\/pt-uimember$/, { timeout: 120_000 });
      await waitFor(() => member.frames().some((f) => /\/user\/pt-uimember\/tree/.test(f.url())), 60_000, 'the server in the frame');
    } finally {
      await other.close();
    }
    assert.equal((await stack.api('GET', `/users/${MEMBER}`)).data.servers[''].user_options.environment, 'intro');
  });

  it('monitoring shows the host and the member\'s server with CPU and memory chart points, and its logs', async () => {
    await admin.goto(`${hub()}monitoring`);
    await admin.getByRole('region', { name: 'CPU' }).waitFor();
    const row = admin.getByRole('row', { name: /pt-uimember/ });
    await row.waitFor();
    const cpu = row.getByRole('img', { name: /CPU of pt-uimember's server over the last hour/ });
    await waitFor(async () => (await cpu.locator('[data-point]').count()) >= 3, 30_000, 'three CPU samples');
    assert.ok(await row.getByRole('img', { name: /Memory of pt-uimember's server/ }).locator('[data-point]').count() >= 3);
    assert.match(await row.textContent() ?? '', /intro/, 'the environment it runs');
    await screenshot(admin, 'monitoring');
    assert.deepEqual(await seriousViolations(admin), []);

    await row.getByRole('link', { name: 'pt-uimember · default' }).click();
    await admin.waitForURL(/\/hub\/monitoring\/pt-uimember$/);
    await waitFor(async () => /Jupyter/.test(await admin.locator('.xterm-rows').textContent() ?? ''), 30_000, 'the server\'s log');
    await screenshot(admin, 'monitoring-server');
    assert.deepEqual(await seriousViolations(admin), []);
  });

  it('Remove names the users of an environment in use; Rebuild builds again; Remove after asking', async () => {
    await admin.goto(`${hub()}environments/intro`);
    await admin.getByRole('button', { name: 'Remove' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Remove' });
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await dialog.getByText(new RegExp(`in use by ${MEMBER}`)).waitFor();
    await screenshot(admin, 'environment-in-use');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await stack.api('GET', '/plasma/environments/intro')).status, 200, 'still there');

    await admin.getByRole('button', { name: 'Rebuild' }).click();
    await admin.getByRole('dialog', { name: 'Rebuild' }).getByRole('button', { name: 'Rebuild' }).click();
    await admin.getByRole('dialog', { name: 'Rebuild' }).waitFor({ state: 'detached' }); // the old outcome goes with it
    await admin.getByText('Built.', { exact: true }).waitFor({ timeout: 600_000 });
    const builds = (await stack.api('GET', '/plasma/environments/intro/builds')).data;
    assert.equal(builds.length, 2, 'a second build');

    assert.equal((await stack.api('DELETE', `/users/${MEMBER}/server`)).status, 204);
    await admin.getByRole('button', { name: 'Remove' }).click();
    await admin.getByRole('dialog', { name: 'Remove' }).getByRole('button', { name: 'Remove' }).click();
    await admin.waitForURL(/\/hub\/environments$/);
    await admin.getByText('Removed intro.').waitFor();
    assert.equal((await stack.api('GET', '/plasma/environments/intro')).status, 404);
  });
});
