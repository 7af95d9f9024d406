import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { alive } from '../helpers/processes.ts';
import { BIN, Stack, waitFor } from '../helpers/stack.ts';


// Issue 2: `plasma up` runs proxy + hub in the foreground; Ctrl-C stops both but not the user servers.
describe('plasma up', () => {
  const stack = new Stack();
  let serverPid = 0;
  after(async () => {
    if (serverPid) try { process.kill(-serverPid, 'SIGKILL'); } catch { /* gone */ }
    await stack.stop();
  });

  it('serves, and Ctrl-C stops hub and proxy but leaves user servers running', async () => {
    await stack.start();
    // Hand the prefix over from the stack's own processes to `plasma up`.
    await stack.killHub('SIGTERM');
    await stack.killProxy('SIGTERM');
    const up = spawn(process.execPath, [BIN, 'up'], { env: stack.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    up.stdout!.on('data', (d) => (output += d));
    up.stderr!.on('data', (d) => (output += d));
    await waitFor(async () => (await fetch(`${stack.publicUrl}/hub/api`)).ok, 30_000, 'plasma up to serve');

    assert.equal((await stack.api('POST', '/users/pt-up')).status, 201);
    assert.ok([201, 202].includes((await stack.api('POST', '/users/pt-up/server')).status));
    assert.equal((await stack.waitReady('pt-up')).at(-1).ready, true);
    serverPid = (await stack.api('GET', '/users/pt-up')).data.servers[''].state.pid;
    const token = await stack.cli(['token', 'pt-up']);
    assert.equal((await fetch(`${stack.publicUrl}/user/pt-up/api/status`, { headers: { Authorization: `token ${token}` } })).status, 200);

    // Ctrl-C in a terminal signals the whole foreground process group.
    const exited = new Promise<number | null>((r) => up.once('exit', (code) => r(code)));
    process.kill(-up.pid!, 'SIGINT');
    assert.equal(await exited, 0, output);
    await waitFor(async () => {
      try {
        await fetch(`${stack.publicUrl}/hub/api`, { signal: AbortSignal.timeout(500) });
        return false;
      } catch {
        return true;
      }
    }, 10_000, 'the proxy to stop');
    assert.ok(alive(serverPid), 'the user server survives Ctrl-C');
    const direct = (await stack.api('GET', '/users/pt-up', { token: null }).catch(() => null));
    assert.equal(direct, null, 'hub is down');
  });
});
