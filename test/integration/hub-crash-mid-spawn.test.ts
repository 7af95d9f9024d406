import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { alive } from '../helpers/processes.ts';
import { Stack, waitFor } from '../helpers/stack.ts';

// ARCHITECTURE.md guarantee 2: the hub can die mid-spawn; after a restart nothing is orphaned or shown running.
describe('hub killed in the middle of a spawn', () => {
  // A server that takes 4 s before it even starts jupyterhub-singleuser, so the crash lands mid-spawn.
  const stack = new Stack({
    config: { spawner: { local: { cmd: ['/bin/sh', '-c', 'sleep 4; exec /usr/bin/jupyterhub-singleuser "$@"', 'plasma-slow-start'] } } },
  });
  after(() => stack.stop());

  it('leaves no process, no route and no server shown running', async () => {
    await stack.start();
    assert.equal((await stack.api('POST', '/users/pt-mid')).status, 201);
    const pending = stack.api('POST', '/users/pt-mid/server').catch(() => null); // the hub dies before it answers
    const runFile = path.join(stack.prefix, 'run', 'servers', 'pt-mid.json');
    await waitFor(() => fs.existsSync(runFile), 10_000, 'the spawner to fork the server');
    const pid = JSON.parse(fs.readFileSync(runFile, 'utf8')).state.pid as number;
    assert.ok(alive(pid));
    const model = (await stack.api('GET', '/users/pt-mid')).data;
    assert.equal(model.pending, 'spawn', 'the crash happens mid-spawn');

    await stack.killHub('SIGKILL');
    await pending;
    assert.ok(alive(pid), 'the half-started server outlives the hub');
    await stack.startHub();

    await waitFor(() => !alive(pid), 10_000, 'the orphan to be stopped');
    const after = (await stack.api('GET', '/users/pt-mid?include_stopped_servers=1')).data;
    assert.deepEqual([after.server, after.pending], [null, null]);
    assert.equal(after.servers[''].stopped, true);
    assert.ok(!('/user/pt-mid' in (await stack.routes())));
    // And the user can start again normally.
    const again = await stack.api('POST', '/users/pt-mid/server');
    assert.ok([201, 202].includes(again.status), again.text);
    assert.equal((await stack.waitReady('pt-mid')).at(-1).ready, true);
  });
});
