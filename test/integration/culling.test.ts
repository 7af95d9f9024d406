import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { Stack, waitFor } from '../helpers/stack.ts';

const IDLE = 'pt-clsidle';
const BUSY = 'pt-clsbusy';
const REPORTER = 'pt-clsrep';
const PASSWORD = 'Cull-test-pw-1';

// Issue 14, must-show 5: the culler stops a server idle past a short timeout and leaves active ones (activity from
// the proxy's traffic and from the server's own reports); the warning is there before the stop; named servers are
// removed; max_age stops even active servers.
describe('culling', () => {
  const stack = new Stack({
    config: {
      culler: { enabled: true, timeout: 6, every: 1, warning_seconds: 4, max_age: 18, remove_named_servers: true },
      spawner: { named_servers: { enabled: true } },
    },
  });
  const tokens: Record<string, string> = {};
  let stop = false;
  let loops: Promise<void>[] = [];

  before(async () => {
    await stack.start();
    for (const name of [IDLE, BUSY, REPORTER]) {
      assert.equal((await stack.api('POST', `/users/${name}`)).status, 201);
      const made = await stack.api('POST', `/users/${name}/tokens`, { json: { note: 'culling test' } });
      assert.equal(made.status, 201, made.text);
      tokens[name] = made.data.token;
    }
    await stack.cli(['users', 'passwd', BUSY], PASSWORD);
    // The active ones first: the idle ones' clocks start last, so nothing is culled before the test watches.
    for (const [user, server] of [[BUSY, ''], [REPORTER, ''], [IDLE, 'lab'], [IDLE, '']]) {
      const res = await stack.api('POST', server ? `/users/${user}/servers/${server}` : `/users/${user}/server`);
      assert.ok([201, 202].includes(res.status), res.text);
      assert.equal((await stack.waitReady(user, server)).at(-1).ready, true);
    }
    // BUSY is used through the proxy; REPORTER's server reports activity as jupyterhub-singleuser does.
    loops = [
      (async () => {
        while (!stop) {
          const res = await fetch(`${stack.publicUrl}/user/${BUSY}/api/status`, { headers: { Authorization: `token ${tokens[BUSY]}` } });
          await res.arrayBuffer();
          await new Promise((r) => setTimeout(r, 300));
        }
      })(),
      (async () => {
        while (!stop) {
          await stack.api('POST', `/users/${REPORTER}/activity`, { token: tokens[REPORTER], json: { servers: { '': { last_activity: new Date().toISOString() } } } });
          await new Promise((r) => setTimeout(r, 700));
        }
      })(),
    ];
  });
  after(async () => {
    stop = true;
    await Promise.all(loops);
    await stack.stop();
  });

  it('warns the idle user before the stop, then stops the idle server; the active ones keep running', async () => {
    const seen: any[] = [];
    await waitFor(async () => {
      const res = await stack.api('GET', `/plasma/culler/${IDLE}`, { token: tokens[IDLE] });
      if (res.status === 200) seen.push(res.data);
      return res.status === 404;
    }, 30_000, 'the idle server to be culled');
    const warned = seen.filter((s) => s.warning);
    assert.ok(warned.length > 0, `a warning was shown before the stop: ${JSON.stringify(seen.at(-1))}`);
    assert.equal(warned[0].reason, 'idle');
    assert.ok(warned[0].seconds_left <= 4 && warned[0].seconds_left >= 0);
    assert.ok(seen.some((s) => !s.warning), 'and not from the start');
    assert.equal((await stack.api('GET', `/users/${IDLE}`)).data.server, null);
    assert.ok(!(`/user/${IDLE}` in (await stack.routes())), 'its route is gone');

    for (const user of [BUSY, REPORTER]) {
      assert.equal((await stack.api('GET', `/users/${user}`)).data.server, `/user/${user}/`, `${user} still runs`);
      const status = (await stack.api('GET', `/plasma/culler/${user}`, { token: tokens[user] })).data;
      assert.equal(status.warning, false, `${user} is not warned of an idle stop`);
    }
    const log = fs.readFileSync(stack.hubLog, 'utf8');
    assert.match(log, new RegExp(`"user":"${IDLE}","server":"","stops_at":"[^"]+","reason":"idle","msg":"culler: the user is warned of a stop"`));
  });

  it('an idle named server is removed, not only stopped', async () => {
    await waitFor(async () => {
      const model = (await stack.api('GET', `/users/${IDLE}?include_stopped_servers=1`)).data;
      return !('lab' in model.servers);
    }, 20_000, 'the named server to be removed');
  });

  it('/hub/frame/<user> opens the web UI\'s frame (which polls the culler API); "keep it running" counts as activity', async () => {
    const browser = new Browser(stack.publicUrl);
    assert.equal((await browser.login(BUSY, PASSWORD)).status, 200);
    const frame = await browser.go(`/hub/frame/${BUSY}`);
    assert.equal(frame.status, 200);
    assert.equal(frame.url, `/hub/open/${BUSY}`, 'the app\'s framed server');
    assert.equal((await browser.go(`/hub/frame/${IDLE}/lab`)).url, `/hub/open/${IDLE}/lab`);
    const status = await stack.api('GET', `/plasma/culler/${BUSY}`, { token: tokens[BUSY] });
    assert.equal(status.data.warning_seconds, 4, 'the app learns when the warning begins');
    const kept = await stack.api('POST', `/plasma/culler/${BUSY}/keep`, { token: tokens[BUSY] });
    assert.equal(kept.status, 200);
    assert.ok(Date.now() - Date.parse(kept.data.last_activity) < 5000);
    assert.equal((await stack.api('GET', `/plasma/culler/${BUSY}`, { token: tokens[REPORTER] })).status, 404, 'another user cannot see it');
  });

  it('max_age stops servers however active they are, with the reason in the log', async () => {
    await waitFor(async () => (await stack.api('GET', `/plasma/culler/${BUSY}`, { token: tokens[BUSY] })).data.reason === 'max_age', 30_000,
      'max_age to come before the next idle stop');
    await waitFor(async () => (await stack.api('GET', `/users/${BUSY}`)).data.server === null
      && (await stack.api('GET', `/users/${REPORTER}`)).data.server === null, 30_000, 'max_age to stop them');
    assert.match(fs.readFileSync(stack.hubLog, 'utf8'), /culled: running for more than 18 s \(culler.max_age\)/);
  });
});
