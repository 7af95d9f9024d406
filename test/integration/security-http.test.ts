import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appConfigOf, Browser, xsrfOf } from '../helpers/browser.ts';
import { Stack, waitFor } from '../helpers/stack.ts';

// Issue 15: one regression test per class of JupyterHub-family advisories, over HTTP through the proxy, with the
// real jupyterhub-singleuser where a user's server takes part. The names and CVEs are in each test's title.
// Elsewhere: ?next= (hub-bad-input.test.ts), allowed environments (environments-permissions.test.ts),
// names that differ only by escaping (test/unit/spawner-naming.test.ts), XSS (security-xss.test.ts).
describe('security regressions (JupyterHub advisories)', () => {
  const stack = new Stack();
  const ALICE = 'pt-sec-alice';
  const MALLORY = 'pt-sec-mallory';
  const PW: Record<string, string> = { [ALICE]: 'alice-Secret-pw-1', [MALLORY]: 'mallory-Secret-pw-1' };

  before(async () => {
    await stack.start();
    for (const name of [ALICE, MALLORY]) await stack.cli(['users', 'add', name, '--password-stdin'], PW[name]);
  });
  after(() => stack.stop());

  async function signedIn(name: string): Promise<{ browser: Browser; cookie: string; xsrf: string }> {
    const browser = new Browser(stack.publicUrl);
    assert.equal((await browser.login(name, PW[name])).status, 200);
    const xsrf = xsrfOf((await browser.go('/hub/home')).text);
    return { browser, cookie: browser.cookie('plasma-hub-login')!, xsrf };
  }
  const tokenCount = async (name: string) => (await stack.api('GET', `/users/${name}/tokens`)).data.api_tokens.length;

  it('CVE-2020-36191: an API write with the cookie but without the XSRF token is refused and changes nothing', async () => {
    const alice = await signedIn(ALICE);
    const before = await tokenCount(ALICE);
    const cookie = `plasma-hub-login=${alice.cookie}`;
    const forgeries: Array<Record<string, string>> = [
      { 'Content-Type': 'application/json' },
      { 'Content-Type': 'application/json', Origin: 'http://evil.example', Referer: 'http://evil.example/x' },
      // A user's server shares the hub's origin, and fetch() lets its pages pick any same-origin Referer.
      { 'Content-Type': 'application/json', Origin: stack.publicUrl, Referer: `${stack.publicUrl}/hub/home` },
      { 'Content-Type': 'application/json', Referer: `${stack.publicUrl}/user/${MALLORY}/tree` },
      { 'Content-Type': 'application/x-www-form-urlencoded', Referer: `${stack.publicUrl}/hub/token` },
      { 'Content-Type': 'application/json', 'X-XSRFToken': `${alice.xsrf}0` },
      { 'Content-Type': 'application/json', 'X-XSRFToken': '' },
    ];
    for (const headers of forgeries) {
      const res = await fetch(`${stack.apiUrl}/users/${ALICE}/tokens`, { method: 'POST', headers: { ...headers, Cookie: cookie }, body: '{}' });
      assert.equal(res.status, 403, `${JSON.stringify(headers)} → ${res.status}`);
    }
    const other = await signedIn(MALLORY);
    const crossed = await fetch(`${stack.apiUrl}/users/${ALICE}/tokens`, {
      method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json', 'X-XSRFToken': other.xsrf }, body: '{}',
    });
    assert.equal(crossed.status, 403, "another session's XSRF token does not count");
    assert.equal(await tokenCount(ALICE), before, 'no token was made');
    const real = await fetch(`${stack.apiUrl}/users/${ALICE}/tokens`, {
      method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json', 'X-XSRFToken': alice.xsrf }, body: '{}',
    });
    assert.equal(real.status, 201, 'with the page\'s XSRF token the same call works');
    assert.equal(await tokenCount(ALICE), before + 1);
  });

  it('CVE-2024-41942: a non-admin holding admin:users cannot make anyone admin, nor touch admin accounts', async () => {
    // An admin hands a user-management token (admin:users, nothing else) to MALLORY.
    const limited = (await stack.api('POST', `/users/${stack.adminUser}/tokens`, { json: { scopes: ['admin:users'], note: 'user management' } })).data.token;
    const asMallory = (method: string, path: string, json?: unknown) => stack.api(method, path, { token: limited, json });
    assert.equal((await asMallory('POST', '/users/pt-sec-plain')).status, 201, 'it does manage users');
    assert.equal((await stack.api('POST', '/users/pt-sec-admin2', { json: { admin: true } })).status, 201);
    const refused: Array<[string, string, unknown]> = [
      ['PATCH', `/users/${MALLORY}`, { admin: true }],
      ['POST', '/users/pt-sec-boss', { admin: true }],
      ['POST', '/users', { usernames: ['pt-sec-boss2'], admin: true }],
      ['PATCH', '/users/pt-sec-admin2', { name: 'pt-sec-renamed' }],
      ['PATCH', '/users/pt-sec-admin2', { admin: false }],
      ['DELETE', '/users/pt-sec-admin2', undefined],
      ['POST', '/plasma/users/import', { csv: 'username,password,group,admin\npt-sec-csv,Pw-pw-pw-1,pt-sec-g,true\n', dry_run: true }],
    ];
    for (const [method, path, body] of refused) {
      const res = await asMallory(method, path, body);
      assert.equal(res.status, 403, `${method} ${path} ${JSON.stringify(body)} → ${res.status} ${res.text}`);
    }
    const mallory = (await stack.api('GET', `/users/${MALLORY}`)).data;
    assert.equal(mallory.admin, false);
    for (const name of ['pt-sec-boss', 'pt-sec-boss2']) assert.equal((await stack.api('GET', `/users/${name}`)).status, 404);
    assert.equal((await stack.api('GET', '/users/pt-sec-admin2')).data.admin, true, 'the other admin is untouched');
    // MALLORY's own tokens cannot carry more than MALLORY holds, whatever role they ask for.
    const mine = await stack.cli(['token', MALLORY]);
    const asked = await stack.api('POST', `/users/${MALLORY}/tokens`, { token: mine, json: { roles: ['admin'] } });
    assert.equal((await stack.api('PATCH', `/users/${MALLORY}`, { token: asked.data?.token ?? mine, json: { admin: true } })).status, 403);
    assert.equal((await stack.api('GET', `/users/${MALLORY}`)).data.admin, false);
    // A full admin still can.
    assert.equal((await stack.api('PATCH', '/users/pt-sec-plain', { json: { admin: true } })).data.admin, true);
    // Nor does a hub admin become root on the host: an import never puts anyone in a system group (sudo, docker…).
    for (const group of ['sudo', 'docker', 'root']) {
      const res = await stack.api('POST', '/plasma/users/import', { json: { csv: `username,password,group\npt-sec-root,Pw-pw-pw-12,${group}\n`, dry_run: true } });
      if (res.status === 400 && /no such group|does not exist/.test(res.text)) continue;
      assert.equal(res.status, 400, `${group}: ${res.text}`);
      assert.match(res.text, /system group/);
    }
  });

  it("cookie tossing: a hub cookie set by a user's server is not accepted next to the user's own", async () => {
    const alice = await signedIn(ALICE);
    const mallory = await signedIn(MALLORY);
    // What the browser sends after a page under /user/MALLORY/ ran document.cookie = "plasma-hub-login=…; path=/hub/home"
    // (the more specific path first).
    const tossed = `plasma-hub-login=${mallory.cookie}; plasma-hub-login=${alice.cookie}`;
    const home = await fetch(`${stack.publicUrl}/hub/home`, { headers: { Cookie: tossed }, redirect: 'manual' });
    assert.equal(home.status, 302, 'neither session counts');
    assert.match(home.headers.get('location') ?? '', /^\/hub\/login/);
    const cleared = home.headers.getSetCookie().filter((c) => c.startsWith('plasma-hub-login=;') && /Max-Age=0/.test(c));
    for (const path of ['/hub/home', '/hub/', '/hub']) assert.ok(cleared.some((c) => c.includes(`Path=${path};`)), `expired on ${path}: ${cleared}`);
    for (const xsrf of [alice.xsrf, mallory.xsrf]) {
      const api = await fetch(`${stack.apiUrl}/user`, { headers: { Cookie: tossed, 'X-XSRFToken': xsrf } });
      assert.equal(api.status, 403);
    }
    // Alone, each session is still what it was.
    const page = await fetch(`${stack.publicUrl}/hub/home`, { headers: { Cookie: `plasma-hub-login=${alice.cookie}` } });
    assert.equal(appConfigOf(await page.text())?.user.name, ALICE);
  });

  it("cookie tossing between servers: a cookie from MALLORY's server is not accepted by ALICE's", async () => {
    const browsers: Record<string, Browser> = {};
    for (const name of [ALICE, MALLORY]) {
      const { browser } = await signedIn(name);
      const page = await browser.go('/hub/spawn');
      await browser.go('/hub/spawn', { form: { _xsrf: xsrfOf(page.text) } });
      assert.equal((await stack.waitReady(name)).at(-1).ready, true);
      assert.equal((await browser.go(`/user/${name}/`)).status, 200, 'signed in to the server through OAuth');
      assert.equal((await browser.go(`/user/${name}/api/status`)).status, 200, `${name}'s server knows ${name}`);
      browsers[name] = browser;
    }
    const malloryCookie = browsers[MALLORY].cookie(`jupyterhub-user-${MALLORY}`)!;
    assert.ok(malloryCookie);
    const tries = [
      `jupyterhub-user-${ALICE}=${malloryCookie}`,
      `jupyterhub-user-${MALLORY}=${malloryCookie}`,
    ];
    // (Beside ALICE's own cookie, a tossed one is simply not the one that validates: the server's secret signs the
    // cookie's name and value, and the OAuth token inside only grants MALLORY's server.)
    for (const cookie of tries) {
      const res = await fetch(`${stack.publicUrl}/user/${ALICE}/api/status`, { headers: { Cookie: cookie }, redirect: 'manual' });
      assert.notEqual(res.status, 200, `${cookie.slice(0, 60)}… reached ${ALICE}'s server`);
      assert.doesNotMatch(await res.text(), /"kernels"/);
    }
    for (const name of [ALICE, MALLORY]) assert.ok((await stack.api('DELETE', `/users/${name}/server`)).status < 300);
    for (const name of [ALICE, MALLORY]) {
      await waitFor(async () => (await stack.api('GET', `/users/${name}`)).data.server === null, 30_000, `${name}'s server to stop`);
    }
  });

  it('CVE-2021-41247: signing out ends every session of that browser, the ones with her servers included', async () => {
    const alice = await signedIn(ALICE);
    const hubCookie = alice.cookie;
    const spawnPage = await alice.browser.go('/hub/spawn');
    await alice.browser.go('/hub/spawn', { form: { _xsrf: xsrfOf(spawnPage.text) } });
    const events = await stack.waitReady(ALICE);
    assert.equal(events.at(-1).ready, true, JSON.stringify(events.at(-1)));
    assert.equal((await alice.browser.go(`/user/${ALICE}/`)).status, 200);
    assert.equal((await alice.browser.go(`/user/${ALICE}/api/status`)).status, 200, 'her server knows her');
    assert.ok(alice.browser.cookie(`jupyterhub-user-${ALICE}`), 'the server set its cookie');
    // A second sign-in elsewhere (another browser) is not this browser's session: it stays.
    const phone = await signedIn(ALICE);

    await alice.browser.go('/hub/logout');
    assert.equal(alice.browser.cookie('plasma-hub-login'), undefined);
    assert.equal(alice.browser.cookie(`jupyterhub-user-${ALICE}`), undefined, "the server's cookie is gone from the browser");
    assert.notEqual((await alice.browser.go(`/user/${ALICE}/api/status`)).status, 200, 'her server asks her to sign in again');
    const replay = await fetch(`${stack.apiUrl}/user`, { headers: { Cookie: `plasma-hub-login=${hubCookie}`, 'X-XSRFToken': alice.xsrf } });
    assert.equal(replay.status, 403, 'the old hub cookie is dead on the hub, not only deleted in the browser');
    const replayPage = await fetch(`${stack.publicUrl}/hub/home`, { headers: { Cookie: `plasma-hub-login=${hubCookie}` }, redirect: 'manual' });
    assert.equal(replayPage.status, 302);
    const other = await fetch(`${stack.apiUrl}/user`, { headers: { Cookie: `plasma-hub-login=${phone.cookie}`, 'X-XSRFToken': phone.xsrf } });
    assert.equal(other.status, 200, 'the other browser stays signed in');
    assert.ok((await stack.api('DELETE', `/users/${ALICE}/server`)).status < 300);
  });
});
