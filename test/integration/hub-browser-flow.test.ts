import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appConfigOf, Browser, xsrfOf } from '../helpers/browser.ts';
import { Stack } from '../helpers/stack.ts';

// Issue 2, item 1: a browser's view of login → start → OAuth into the real jupyterhub-singleuser → stop.
for (const proxy of ['plasma', 'chp'] as const) describe(`a student in a browser, through ${proxy === 'chp' ? 'configurable-http-proxy' : 'plasma proxy'}`, () => {
  const stack = new Stack({ proxy });
  const alice = new Browser('');
  const bob = new Browser('');

  before(async () => {
    await stack.start();
    await stack.cli(['users', 'add', 'pt-alice', '--password-stdin'], 'alice-password-1');
    await stack.cli(['users', 'add', 'pt-bob', '--password-stdin'], 'bob-password-1');
    Object.assign(alice, { origin: stack.publicUrl });
    Object.assign(bob, { origin: stack.publicUrl });
  });
  after(() => stack.stop());

  it('a wrong password is refused and sets no session', async () => {
    const stranger = new Browser(stack.publicUrl);
    const res = await stranger.login('pt-alice', 'not-her-password');
    assert.equal(res.status, 403);
    assert.match(res.text, /Invalid username or password/);
    assert.equal(stranger.cookie('plasma-hub-login'), undefined);
  });

  it('alice signs in and lands on her home page', async () => {
    const res = await alice.login('pt-alice', 'alice-password-1');
    assert.equal(res.status, 200);
    assert.equal(res.url, '/hub/home');
    // The app's page, for her: it starts from the config the hub put in it.
    const config = appConfigOf(res.text);
    assert.equal(config?.user.name, 'pt-alice');
    assert.equal(config?.user.admin, false);
    assert.match(res.text, /<script type="module" crossorigin src="\/hub\/static\/ui\/assets\/index-[\w-]+\.js">/);
    assert.ok(alice.cookie('plasma-hub-login'));
    assert.ok(alice.cookie('jupyterhub-session-id'));
  });

  let readyAt = '';
  it('she starts her server and the progress stream ends ready', async () => {
    const spawnPage = await alice.go('/hub/spawn');
    const pending = await alice.go('/hub/spawn', { form: { _xsrf: xsrfOf(spawnPage.text) } });
    assert.equal(pending.url, '/hub/spawn-pending/pt-alice');
    // The spawn-pending page's stream: cookie-authenticated, with the page's XSRF token as the app sends it.
    const progress = await alice.go('/hub/api/users/pt-alice/server/progress', {
      headers: { 'X-XSRFToken': xsrfOf(pending.text) },
    });
    assert.equal(progress.status, 200);
    assert.match(progress.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = progress.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    const last = events.at(-1);
    assert.equal(last.ready, true, `final event: ${JSON.stringify(last)}`);
    assert.equal(last.url, '/user/pt-alice/');
    const model = (await stack.api('GET', '/users/pt-alice')).data;
    assert.equal(model.server, '/user/pt-alice/');
    assert.equal(model.servers[''].ready, true);
    readyAt = model.servers[''].last_activity;
  });

  it('her browser reaches the real jupyterhub-singleuser through the OAuth flow', async () => {
    // Jupyter's API answers 403 to a browser with no cookie yet; its pages start the OAuth flow.
    const page = await alice.go('/user/pt-alice/');
    assert.equal(page.status, 200, `visited ${JSON.stringify(alice.visited.slice(-8))}`);
    assert.match(page.url, /^\/user\/pt-alice\//);
    const res = await alice.go('/user/pt-alice/api/status');
    assert.equal(res.status, 200, `visited ${JSON.stringify(alice.visited.slice(-8))}`);
    const status = JSON.parse(res.text);
    assert.ok('started' in status && 'kernels' in status, res.text);
    assert.ok(alice.visited.some((v) => v.url.startsWith('/hub/api/oauth2/authorize')), 'went through the hub authorize endpoint');
    assert.ok(alice.visited.some((v) => v.url.startsWith('/user/pt-alice/oauth_callback')), 'came back through oauth_callback');
    assert.equal(res.headers.get('x-jupyterhub-version'), '3.0.0');
  });

  it('bob, signed in, cannot use alice\'s server', async () => {
    assert.equal((await bob.login('pt-bob', 'bob-password-1')).status, 200);
    const res = await bob.go('/user/pt-alice/');
    assert.equal(res.status, 403, `bob got ${res.status} at ${res.url}`);
    assert.ok(res.url.startsWith('/hub/api/oauth2/authorize'), res.url);
    assert.notEqual((await bob.go('/user/pt-alice/api/status')).status, 200);
    const withToken = await fetch(`${stack.publicUrl}/user/pt-alice/api/status`, {
      headers: { Authorization: `token ${await stack.cli(['token', 'pt-bob'])}` },
    });
    assert.equal(withToken.status, 403);
  });

  it('alice\'s use of her server reaches her last_activity', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await alice.go('/user/pt-alice/api/status')).status, 200);
    // JupyterHub's route check copies the proxy's per-route activity into the hub.
    assert.equal((await stack.api('POST', '/proxy')).status, 200);
    const model = (await stack.api('GET', '/users/pt-alice')).data;
    assert.ok(Date.parse(model.servers[''].last_activity) > Date.parse(readyAt), `${model.servers[''].last_activity} > ${readyAt}`);
    assert.ok(Date.parse(model.last_activity) >= Date.parse(model.servers[''].last_activity));
  });

  it('she stops it: the route is gone and the server shows stopped', async () => {
    // As the app does: her cookie and the page's XSRF token (without it the cookie does not count).
    const home = await alice.go('/hub/home');
    const refused = await alice.go('/hub/api/users/pt-alice/server', { method: 'DELETE' });
    assert.equal(refused.status, 403);
    const res = await alice.go('/hub/api/users/pt-alice/server', { method: 'DELETE', headers: { 'X-XSRFToken': xsrfOf(home.text) } });
    assert.equal(res.status, 204);
    const routes = await stack.routes();
    assert.ok(!('/user/pt-alice' in routes), `routes: ${Object.keys(routes)}`);
    const model = (await stack.api('GET', '/users/pt-alice')).data;
    assert.deepEqual([model.server, model.pending, model.servers], [null, null, {}]);
    const after = await alice.go('/user/pt-alice/api/status');
    assert.notEqual(after.status, 200);
    assert.equal(after.status, 424);
  });

  it('signing out ends the session', async () => {
    await alice.go('/hub/logout');
    assert.equal(alice.cookie('plasma-hub-login'), undefined);
    const res = await alice.go('/hub/home');
    assert.equal(res.url.split('?')[0], '/hub/login');
  });
});
