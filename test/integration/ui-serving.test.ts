import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { appConfigOf, Browser, xsrfOf } from '../helpers/browser.ts';
import { Stack } from '../helpers/stack.ts';
import { useSlowStartSwitch } from '../helpers/slow-start.ts';

const BASE = '/course/';

// Issue 12: how the hub serves the web UI (caching, compression, base_url, logo) and the API additions it uses.
describe('the hub serving the web UI', () => {
  let slowFlag = '';
  const stack = new Stack({ adminUser: 'pt-uisrv-admin', config: { hub: { base_url: BASE }, monitoring: { interval: 0.5 }, culler: { enabled: false } } });
  const alice = new Browser('');

  before(async () => {
    await stack.start();
    slowFlag = await useSlowStartSwitch(stack); // so Cancel can be pressed in time
    await stack.cli(['users', 'add', 'pt-uisrv-alice', '--password-stdin'], 'alice-pass-123');
    Object.assign(alice, { origin: stack.publicUrl });
    assert.equal((await alice.login('pt-uisrv-alice', 'alice-pass-123', `${BASE}hub/`)).status, 200);
  });
  after(() => stack.stop());

  it('the app page: under base_url, no-cache, its assets cached for a year, gzipped', async () => {
    const res = await alice.go(`${BASE}hub/home`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /no-cache/);
    assert.equal(res.headers.get('content-security-policy'), "frame-ancestors 'self'", 'not framed by other sites');
    const config = appConfigOf(res.text)!;
    assert.equal(config.base_url, BASE);
    assert.equal(config.hub_prefix, `${BASE}hub/`);
    assert.equal(config.user.name, 'pt-uisrv-alice');
    const script = /src="([^"]+\/assets\/index-[\w-]+\.js)"/.exec(res.text)![1];
    assert.ok(script.startsWith(`${BASE}hub/static/ui/assets/`), script);
    const raw = await fetch(`${stack.publicUrl}${script}`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(raw.headers.get('content-encoding'), 'gzip');
    assert.match(raw.headers.get('content-type') ?? '', /^text\/javascript/);
    const plain = await fetch(`${stack.publicUrl}${script}`, { headers: { 'Accept-Encoding': 'identity' } });
    assert.equal(plain.headers.get('content-encoding'), null);
    assert.ok((await plain.arrayBuffer()).byteLength > 10_000);
    for (const bad of ['..%2F..%2Fpackage.json', '.hidden.js', 'nope.js']) {
      assert.equal((await fetch(`${stack.publicUrl}${BASE}hub/static/ui/assets/${bad}`)).status, 404, bad);
    }
  });

  it('the login page is small, gzipped and not cached; /hub/logo and the favicon are served', async () => {
    const res = await fetch(`${stack.publicUrl}${BASE}hub/login`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const html = await res.text(); // fetch undoes the gzip
    assert.match(html, new RegExp(`action="${BASE}hub/login\\?next=`));
    const logo = await fetch(`${stack.publicUrl}${BASE}hub/logo`);
    assert.equal(logo.status, 200);
    assert.equal(logo.headers.get('content-type'), 'image/svg+xml');
    assert.match(await logo.text(), /^<svg /);
    assert.equal((await fetch(`${stack.publicUrl}${BASE}hub/favicon.ico`)).status, 200);
  });

  it('app pages need a session, and admin pages an admin (403 with the app\'s page)', async () => {
    const anonymous = await fetch(`${stack.publicUrl}${BASE}hub/admin/users`, { redirect: 'manual' });
    assert.equal(anonymous.status, 302);
    assert.equal(anonymous.headers.get('location'), `${BASE}hub/login?next=${encodeURIComponent(`${BASE}hub/admin/users`)}`);
    assert.equal((await alice.go(`${BASE}hub/admin/users`)).status, 403);
    assert.equal((await alice.go(`${BASE}hub/monitoring`)).status, 403);
  });

  it('GET /users sorts as JupyterHub 5 does; a bad sort is a 400', async () => {
    for (const name of ['pt-uisrv-c', 'pt-uisrv-a', 'pt-uisrv-b']) assert.equal((await stack.api('POST', `/users/${name}`)).status, 201);
    const names = async (sort: string) => (await stack.api('GET', `/users?name_filter=pt-uisrv-&sort=${sort}`)).data.map((u: any) => u.name);
    assert.deepEqual(await names('name'), ['pt-uisrv-a', 'pt-uisrv-admin', 'pt-uisrv-alice', 'pt-uisrv-b', 'pt-uisrv-c']);
    assert.deepEqual(await names('-name'), ['pt-uisrv-c', 'pt-uisrv-b', 'pt-uisrv-alice', 'pt-uisrv-admin', 'pt-uisrv-a']);
    const byActivity = (await stack.api('GET', '/users?name_filter=pt-uisrv-&sort=-last_activity')).data.map((u: any) => u.last_activity);
    const seen = byActivity.filter((t: string | null) => t !== null);
    assert.ok(seen.length >= 1 && seen.length < byActivity.length, JSON.stringify(byActivity));
    assert.deepEqual(byActivity, [...seen.sort().reverse(), ...byActivity.filter((t: string | null) => t === null)], 'latest first, never-seen last');
    assert.deepEqual(await names('id'), ['pt-uisrv-admin', 'pt-uisrv-alice', 'pt-uisrv-c', 'pt-uisrv-a', 'pt-uisrv-b']);
    const bad = await stack.api('GET', '/users?sort=password');
    assert.equal(bad.status, 400);
    assert.match(bad.data.message, /sort must be/);
  });

  it('the app\'s cookie calls need the page\'s XSRF token; a stop during a start cancels it', async () => {
    fs.writeFileSync(slowFlag, '');
    try {
      const page = await alice.go(`${BASE}hub/home`);
      const api = `${BASE}hub/api/users/pt-uisrv-alice/server`;
      assert.equal((await alice.go(api, { method: 'POST' })).status, 403, 'the cookie alone is not enough');
      const started = await alice.go(api, { method: 'POST', headers: { 'X-XSRFToken': xsrfOf(page.text), 'Content-Type': 'application/json' } });
      assert.equal(started.status, 202);
      const stopped = await alice.go(api, { method: 'DELETE', headers: { 'X-XSRFToken': xsrfOf(page.text) } });
      assert.equal(stopped.status, 204, 'cancelled, not "pending spawn, please wait"');
      const events = await stack.waitReady('pt-uisrv-alice');
      assert.equal(events.at(-1).failed, true);
      assert.match(events.at(-1).message, /cancelled/);
      const model = (await stack.api('GET', '/users/pt-uisrv-alice')).data;
      assert.deepEqual([model.server, model.pending, model.servers], [null, null, {}]);
    } finally {
      fs.rmSync(slowFlag, { force: true });
    }
  });

  it('monitoring: the host and each running server\'s samples, admins only; logs of a server', async () => {
    assert.equal((await stack.api('POST', '/users/pt-uisrv-a/server')).status < 300, true);
    await stack.waitReady('pt-uisrv-a');
    const token = await stack.cli(['token', 'pt-uisrv-alice']);
    assert.equal((await stack.api('GET', '/plasma/monitoring/host', { token })).status, 403, 'not for students');
    const host = (await stack.api('GET', '/plasma/monitoring/host')).data;
    assert.ok(host.cpu.cores >= 1 && host.memory.total > host.memory.available && host.disks.length >= 1, JSON.stringify(host));
    let series: any;
    for (let i = 0; i < 40 && !(series?.samples.length >= 2); i++) {
      await new Promise((r) => setTimeout(r, 250));
      series = (await stack.api('GET', '/plasma/monitoring/servers')).data.servers.find((s: any) => s.user === 'pt-uisrv-a');
    }
    assert.ok(series.samples.length >= 2, JSON.stringify(series));
    assert.ok(series.samples.every((s: any) => s.cpu >= 0 && s.memory > 10_000_000 && !Number.isNaN(Date.parse(s.t))), JSON.stringify(series.samples));
    const latest = (await stack.api('GET', '/plasma/monitoring/servers?latest=1')).data.servers.find((s: any) => s.user === 'pt-uisrv-a');
    assert.equal(latest.samples.length, 1);
    const logs = await stack.api('GET', '/plasma/monitoring/servers/pt-uisrv-a/logs?lines=50');
    assert.equal(logs.status, 200);
    assert.match(logs.data.log, /SingleUserNotebookApp/);
    assert.ok(logs.data.log.trim().split('\n').length <= 50);
    assert.equal((await stack.api('GET', '/plasma/monitoring/servers/pt-uisrv-b/logs')).status, 404, 'no running server');
    assert.equal((await stack.api('GET', '/plasma/monitoring/servers/pt-uisrv-a/logs?lines=-3')).status, 400);
    assert.equal((await stack.api('DELETE', '/users/pt-uisrv-a/server')).status, 204);
  });
});
