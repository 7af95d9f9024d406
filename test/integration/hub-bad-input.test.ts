import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser, xsrfOf } from '../helpers/browser.ts';
import { Stack } from '../helpers/stack.ts';

// Issue 2, item 4: bad input gets a clear 4xx and changes nothing; secrets never reach logs.
describe('bad input and abuse', () => {
  const stack = new Stack({ config: { spawner: { named_servers: { enabled: true } }, hub: { login_throttle: { max_failures: 3 } } } });
  const PASSWORD = 'pt-secret-Passw0rd-xyz';
  let userToken = '';

  before(async () => {
    await stack.start();
    await stack.cli(['users', 'add', 'pt-carol', '--password-stdin'], PASSWORD);
    userToken = await stack.cli(['token', 'pt-carol']);
  });
  after(() => stack.stop());

  async function userCount(): Promise<number> {
    return (await stack.api('GET', '/users')).data.length;
  }

  it('rejects invalid user names with a clear 400 and creates nothing', async () => {
    const before = await userCount();
    const bad = ['a%2Fb', '..', '%2E%2E', 'x%01y', 'x'.repeat(100), 'Caps', '-dash', 'sp%20ace'];
    for (const name of bad) {
      const res = await stack.api('POST', `/users/${name}`);
      assert.ok(res.status === 400 || res.status === 404, `${name}: ${res.status} ${res.text}`);
      if (res.status === 400) assert.equal(typeof res.data.message, 'string');
    }
    const bulk = await stack.api('POST', '/users', { json: { usernames: ['pt-fine', '../etc'] } });
    assert.equal(bulk.status, 400);
    assert.match(bulk.data.message, /\.\.|path separator|invalid username/);
    assert.equal((await stack.api('GET', '/users/pt-fine')).status, 404, 'a batch with one bad name creates none');
    assert.equal(await userCount(), before);
  });

  it('rejects unknown fields and wrong types with 400 and changes nothing', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/users/pt-new', { admin: false, favourite: 1 }],
      ['POST', '/users/pt-new', { admin: 'yes' }],
      ['POST', '/users', { usernames: 'pt-new' }],
      ['PATCH', '/users/pt-carol', { shoe_size: 42 }],
      ['PATCH', '/users/pt-carol', { name: '../../root' }],
      ['POST', '/users/pt-carol/tokens', { expires_in: 'soon' }],
      ['POST', '/users/pt-carol/tokens', { expires_in: 4.1e225 }],
      ['POST', '/users/pt-carol/tokens', { scopes: ['read:everything'] }],
      ['POST', '/users/pt-carol/tokens', { note: 5 }],
      ['POST', '/groups/pt-g', { users: ['nobody-here'] }],
      ['POST', '/groups/pt..g', {}],
      ['POST', '/users/pt-carol/servers/bad..name', {}],
      ['POST', '/users/pt-carol/server', ['not', 'an', 'object']],
      ['DELETE', '/users/pt-carol/server', { remove: 'yes' }],
      ['POST', '/users/pt-carol/server', { environment: 5 }],
      ['POST', '/users/pt-carol/servers/lab', { environment: ['x'] }],
    ];
    for (const [method, url, body] of cases) {
      const res = await stack.api(method, url, { json: body });
      assert.equal(res.status, 400, `${method} ${url} ${JSON.stringify(body)} → ${res.status} ${res.text}`);
      assert.deepEqual(Object.keys(res.data).sort(), ['message', 'status']);
    }
    assert.equal((await stack.api('GET', '/users/pt-new')).status, 404);
    assert.equal((await stack.api('GET', '/groups/pt-g')).status, 404);
    const carol = (await stack.api('GET', '/users/pt-carol')).data;
    assert.deepEqual([carol.name, carol.admin, carol.servers], ['pt-carol', false, {}]);
    // A refused start leaves no stopped server behind either (found by the fuzzer).
    assert.deepEqual((await stack.api('GET', '/users/pt-carol?include_stopped_servers=1')).data.servers, {});
    assert.equal((await stack.api('GET', '/users/pt-carol/tokens')).data.api_tokens.length, 1);
  });

  it('a repeated query parameter counts once, the last one (found by the fuzzer: it was a 500)', async () => {
    const res = await stack.api('GET', '/users?name_filter=zz&name_filter=pt-car&sort=bogus&sort=name');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.data.map((u: any) => u.name), ['pt-carol']);
  });

  it('missing things are 404, bad credentials 403, in JupyterHub\'s error shape', async () => {
    for (const url of ['/users/pt-nobody', '/groups/pt-nogroup', '/users/pt-carol/tokens/a99999', '/no/such/endpoint']) {
      const res = await stack.api('GET', url);
      assert.equal(res.status, 404, url);
      assert.equal(res.data.status, 404);
    }
    for (const token of ['wrong-token-0000000000', '', null]) {
      const res = await stack.api('GET', '/users', { token });
      assert.equal(res.status, 403);
    }
    // A student's token: others' resources are 404 (not even their existence leaks), admin-only lists 403.
    assert.equal((await stack.api('GET', `/users/${stack.adminUser}`, { token: userToken })).status, 404);
    assert.equal((await stack.api('GET', '/users', { token: userToken })).status, 403);
    assert.equal((await stack.api('POST', '/users/pt-x', { token: userToken })).status, 403);
    assert.equal((await stack.api('GET', '/users/pt-x', {})).status, 404);
  });

  it('cookie-authenticated API writes need same-origin proof (CSRF)', async () => {
    const browser = new Browser(stack.publicUrl);
    assert.equal((await browser.login('pt-carol', PASSWORD)).status, 200);
    const cookie = `plasma-hub-login=${browser.cookie('plasma-hub-login')}`;
    const forged = await fetch(`${stack.apiUrl}/users/pt-carol/tokens`, {
      method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json', Origin: 'http://evil.example' }, body: '{}',
    });
    assert.equal(forged.status, 403, 'a cross-site POST with only the cookie is anonymous');
    // A Referer is no proof: a user's server on this origin can send any (security-csrf.test.ts).
    const refererOnly = await fetch(`${stack.apiUrl}/user`, { headers: { Cookie: cookie, Referer: `${stack.publicUrl}/hub/home` } });
    assert.equal(refererOnly.status, 403);
    const xsrf = xsrfOf((await browser.go('/hub/home')).text);
    const sameOrigin = await fetch(`${stack.apiUrl}/user`, { headers: { Cookie: cookie, 'X-XSRFToken': xsrf } });
    assert.equal(sameOrigin.status, 200);
    assert.equal((await sameOrigin.json()).name, 'pt-carol');
  });

  it('?next= only leads to paths on this site', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const browser = new Browser(stack.publicUrl);
      const form = await browser.go(`/hub/login?next=${encodeURIComponent(next)}`);
      const xsrf = /name="_xsrf" value="([^"]+)"/.exec(form.text)![1];
      const res = await fetch(`${stack.publicUrl}/hub/login?next=${encodeURIComponent(next)}`, {
        method: 'POST', redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `plasma-login-xsrf=${xsrf}` },
        body: new URLSearchParams({ username: 'pt-carol', password: PASSWORD, _xsrf: xsrf }),
      });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), '/hub/home', `next=${next}`);
    }
  });

  it('a login form without its XSRF token is refused', async () => {
    const res = await fetch(`${stack.publicUrl}/hub/login`, {
      method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'pt-carol', password: PASSWORD }),
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.getSetCookie().some((c) => c.startsWith('plasma-hub-login=') && !c.startsWith('plasma-hub-login=;')), false);
  });

  it('throttles repeated failed logins, even with the right password afterwards', async () => {
    const browser = new Browser(stack.publicUrl);
    for (let i = 0; i < 3; i++) assert.equal((await browser.login('pt-carol', `wrong-${i}`)).status, 403);
    const blocked = await browser.login('pt-carol', PASSWORD);
    assert.equal(blocked.status, 429);
    assert.match(blocked.text, /Too many failed sign-in attempts/);
    assert.equal(browser.cookie('plasma-hub-login'), undefined);
  });

  it('never writes passwords or tokens to the logs', async () => {
    const logs = fs.readdirSync(path.join(stack.prefix, 'logs')).filter((f) => f.endsWith('.log'))
      .map((f) => fs.readFileSync(path.join(stack.prefix, 'logs', f), 'utf8')).join('\n');
    assert.ok(logs.length > 1000, 'the hub logged at debug level');
    for (const secret of [PASSWORD, userToken, stack.adminToken, 'wrong-0']) {
      assert.ok(!logs.includes(secret), `a secret (${secret.slice(0, 4)}…) appears in the hub log`);
    }
  });
});
