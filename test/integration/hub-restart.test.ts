import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keepRequesting } from '../helpers/load.ts';
import { alive } from '../helpers/processes.ts';
import { Stack, waitFor } from '../helpers/stack.ts';

const SERVING = ['pt-r1', 'pt-r3', 'pt-r4'];

// Issue 2, item 3, ARCHITECTURE.md guarantee 2, and issue 15's reliability test 2: the hub can die or restart at any
// moment while a client works with 3 running servers, and not one of its requests fails.
describe('hub killed with SIGKILL while servers run', () => {
  const stack = new Stack();
  const pids: Record<string, number> = {};
  const tokens: Record<string, string> = {};
  const statusUrl = (name: string) => `${stack.publicUrl}/user/${name}/api/status`;
  const load = () => keepRequesting(SERVING.map((name) => ({ url: statusUrl(name), headers: { Authorization: `token ${tokens[name]}` } })));

  before(async () => {
    await stack.start();
    const names = [...SERVING, 'pt-r2'];
    await Promise.all(names.map(async (name) => {
      assert.equal((await stack.api('POST', `/users/${name}`)).status, 201);
      tokens[name] = (await stack.api('POST', `/users/${name}/tokens`, { json: { note: 'restart test' } })).data.token;
      const started = await stack.api('POST', `/users/${name}/server`);
      assert.ok([201, 202].includes(started.status), started.text);
      assert.equal((await stack.waitReady(name)).at(-1).ready, true);
      const model = (await stack.api('GET', `/users/${name}`)).data;
      pids[name] = model.servers[''].state.pid;
      assert.ok(alive(pids[name]), `${name}'s server process runs`);
    }));
  });
  after(() => stack.stop());

  it('keeps serving through the crash and the restart, and the hub then matches reality', async () => {
    for (const name of SERVING) assert.equal((await fetch(statusUrl(name), { headers: { Authorization: `token ${tokens[name]}` } })).status, 200);
    const client = load();
    await new Promise((r) => setTimeout(r, 300));
    await stack.killHub('SIGKILL');
    // While the hub is down, pt-r2's server dies behind its back.
    process.kill(-pids['pt-r2'], 'SIGKILL');
    await waitFor(() => !alive(pids['pt-r2']), 5000, 'pt-r2 to die');
    await new Promise((r) => setTimeout(r, 500));
    await stack.startHub();
    await new Promise((r) => setTimeout(r, 500));
    const { all, failed } = await client.stop();

    console.log(`# requests to ${SERVING.length} servers during the crash and restart: ${all.length}, failed: ${failed.length}`);
    for (const name of SERVING) assert.ok(all.filter((o) => o.url === statusUrl(name)).length > 20, `enough requests went to ${name}`);
    assert.deepEqual(failed, [], 'every request through the proxy during the restart succeeded');

    for (const name of SERVING) {
      assert.ok(alive(pids[name]), `${name} still runs the same process`);
      const model = (await stack.api('GET', `/users/${name}`)).data;
      assert.equal(model.servers[''].ready, true);
      assert.equal(model.servers[''].state.pid, pids[name], 'the hub found the same process');
    }
    const r2 = (await stack.api('GET', '/users/pt-r2')).data;
    assert.deepEqual([r2.server, r2.servers], [null, {}], 'pt-r2 is shown stopped');
    const routes = await stack.routes();
    for (const name of SERVING) assert.ok(`/user/${name}` in routes, `${name} keeps its route`);
    assert.ok(!('/user/pt-r2' in routes), 'the dead server\'s route is gone');
  });

  it('a plain restart (SIGTERM) under load fails no request and never stops user servers', async () => {
    const client = load();
    await new Promise((r) => setTimeout(r, 300));
    await stack.killHub('SIGTERM');
    for (const name of SERVING) assert.ok(alive(pids[name]), `${name} still runs while the hub is down`);
    await stack.startHub();
    await new Promise((r) => setTimeout(r, 300));
    const { all, failed } = await client.stop();
    assert.ok(all.length > 3 * 20, `requests flowed throughout (${all.length})`);
    assert.deepEqual(failed, [], 'no request failed');
    for (const name of SERVING) {
      assert.ok(alive(pids[name]));
      assert.equal((await stack.api('GET', `/users/${name}`)).data.servers[''].ready, true);
    }
  });

  it('a hub started while the proxy is down stops at once when told, and the routes come back with both', async () => {
    await stack.killProxy('SIGKILL');
    await stack.killHub('SIGTERM');
    await stack.startHub({ throughProxy: false }); // it retries the proxy in the background, every second for a minute
    const stopped = stack.killHub('SIGTERM');
    const late = new Promise((_, reject) => setTimeout(() => reject(new Error('the hub was still running 10 s after SIGTERM')), 10_000).unref());
    await Promise.race([stopped, late]);
    for (const name of SERVING) assert.ok(alive(pids[name]), `${name} still runs`);
    await stack.startProxy();
    await stack.startHub();
    await waitFor(async () => (await Promise.all(SERVING.map(async (name) => {
      const res = await fetch(statusUrl(name), { headers: { Authorization: `token ${tokens[name]}` } });
      await res.arrayBuffer();
      return res.status === 200;
    }))).every(Boolean), 10_000, 'every server to answer through the proxy again');
  });
});
