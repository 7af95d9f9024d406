import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, screenshot, seriousViolations, signIn, type TestBrowser } from '../helpers/chromium.ts';
import { HubLog } from '../helpers/hub-log.ts';
import { Stack, waitFor } from '../helpers/stack.ts';

const STUDENT = 'pt-uicull';
const PASSWORD = 'cull-warning-pass-1';

// Issue 14's culling warning in issue 12's frame: the student working in the framed server sees, above it, when
// and why it will be stopped, and "Keep it running" tells the hub they are still there.
describe('the culler\'s warning above the framed server (Chromium)', () => {
  // The warning spans the whole idle timeout, so it shows at once however often the server's own page polls.
  const stack = new Stack({ config: { culler: { enabled: true, timeout: 600, every: 5, warning_seconds: 600, max_age: 0 } } });
  const log = new HubLog(() => stack.hubLog);
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    await stack.start();
    await stack.cli(['users', 'add', STUDENT, '--password-stdin'], PASSWORD);
    const res = await stack.api('POST', `/users/${STUDENT}/server`);
    assert.ok([201, 202].includes(res.status), res.text);
    assert.equal((await stack.waitReady(STUDENT, '')).at(-1).ready, true);
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await stack.api('DELETE', `/users/${STUDENT}/server`).catch(() => undefined);
    await stack.stop();
  });

  it('/hub/frame/<user> shows the server with the warning above it; Keep it running counts as activity', async () => {
    await signIn(page, stack.hubPagesUrl, STUDENT, PASSWORD, `/hub/frame/${STUDENT}`);
    await page.waitForURL((u) => u.pathname === `/hub/open/${STUDENT}`);
    const warning = page.locator('#cull-warning');
    await warning.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await warning.textContent() ?? '', /Your server will be stopped in (10|9) minutes because it has not been used\. Save your work\./);
    assert.equal(await page.locator('iframe').getAttribute('src'), `/user/${STUDENT}/`, 'the server is in the frame beneath');
    await screenshot(page, 'frame-cull-warning');
    assert.deepEqual(await seriousViolations(page, 'iframe'), [], 'none in Plasma\'s part of the page');

    const before = (await stack.api('GET', `/plasma/culler/${STUDENT}`)).data.last_activity;
    const mark = log.mark();
    await new Promise((r) => setTimeout(r, 1100));
    await warning.getByRole('button', { name: 'Keep it running' }).click();
    await waitFor(async () => log.sent(mark, 'POST', `/hub/api/plasma/culler/${STUDENT}/keep`).some((r) => r.status === 200), 10_000, 'the keep request');
    const after = (await stack.api('GET', `/plasma/culler/${STUDENT}`)).data.last_activity;
    assert.ok(Date.parse(after) > Date.parse(before), `activity moved on: ${before} → ${after}`);
  });
});
