import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { alive } from '../helpers/processes.ts';
import { Stack, waitFor } from '../helpers/stack.ts';


// Issue 2, item 3 (and guarantee 2 of ARCHITECTURE.md): the hub can die at any moment.
describe('hub killed with SIGKILL while two servers run', () => {
  const stack = new Stack();
  const pids: Record<string, number> = {};
  const tokens: Record<string, string> = {};

  before(async () => {
    await stack.start();
    for (const name of ['pt-r1', 'pt-r2']) {
      assert.equal((await stack.api('POST', `/users/${name}`)).status, 201);
      tokens[name] = await stack.cli(['token', name]);
      const started = await stack.api('POST', `/users/${name}/server`);
      assert.ok([201, 202].includes(started.status), started.text);
      assert.equal((await stack.waitReady(name)).at(-1).ready, true);
      const model = (await stack.api('GET', `/users/${name}`)).data;
      pids[name] = model.servers[''].state.pid;
      assert.ok(alive(pids[name]), `${name}'s server process runs`);
    }
  });
  after(() => stack.stop());

  it('keeps serving through the crash and the restart, and the hub then matches reality', async () => {
    const statusUrl = `${stack.publicUrl}/user/pt-r1/api/status`;
    const auth = { Authorization: `token ${tokens['pt-r1']}` };
    assert.equal((await fetch(statusUrl, { headers: auth })).status, 200);

    let stop = false;
    const outcomes: number[] = [];
    const load = (async () => {
      while (!stop) {
        try {
          const res = await fetch(statusUrl, { headers: auth, signal: AbortSignal.timeout(10_000) });
          await res.arrayBuffer();
          outcomes.push(res.status);
        } catch {
          outcomes.push(0);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await new Promise((r) => setTimeout(r, 300));
    await stack.killHub('SIGKILL');
    // While the hub is down, pt-r2's server dies behind its back.
    process.kill(-pids['pt-r2'], 'SIGKILL');
    await waitFor(() => !alive(pids['pt-r2']), 5000, 'pt-r2 to die');
    await new Promise((r) => setTimeout(r, 500));
    await stack.startHub();
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await load;

    const failed = outcomes.filter((s) => s !== 200);
    console.log(`# requests during the restart: ${outcomes.length}, failed: ${failed.length}`);
    assert.ok(outcomes.length > 20, `enough requests were sent (${outcomes.length})`);
    assert.deepEqual(failed, [], 'every request through the proxy during the restart succeeded');

    assert.ok(alive(pids['pt-r1']), 'pt-r1 still runs the same process');
    const r1 = (await stack.api('GET', '/users/pt-r1')).data;
    assert.equal(r1.servers[''].ready, true);
    assert.equal(r1.servers[''].state.pid, pids['pt-r1'], 'the hub found the same process');
    assert.equal((await fetch(statusUrl, { headers: auth })).status, 200);

    const r2 = (await stack.api('GET', '/users/pt-r2')).data;
    assert.deepEqual([r2.server, r2.servers], [null, {}], 'pt-r2 is shown stopped');
    const routes = await stack.routes();
    assert.ok('/user/pt-r1' in routes, 'pt-r1 keeps its route');
    assert.ok(!('/user/pt-r2' in routes), 'the dead server\'s route is gone');
  });

  it('a plain restart (SIGTERM) never stops user servers', async () => {
    await stack.killHub('SIGTERM');
    assert.ok(alive(pids['pt-r1']), 'still running while the hub is down');
    await stack.startHub();
    assert.ok(alive(pids['pt-r1']));
    assert.equal((await stack.api('GET', '/users/pt-r1')).data.servers[''].ready, true);
  });
});
