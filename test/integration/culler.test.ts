import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Stack, waitFor } from '../helpers/stack.ts';

// The idle culler stops servers nobody uses, judged by the proxy's per-route activity.
describe('idle culler', () => {
  const stack = new Stack({ config: { culler: { enabled: true, timeout: 3, every: 1 } } });
  const tokens: Record<string, string> = {};
  before(async () => {
    await stack.start();
    for (const name of ['pt-idle', 'pt-busy']) {
      assert.equal((await stack.api('POST', `/users/${name}`)).status, 201);
      tokens[name] = await stack.cli(['token', name]);
      assert.ok([201, 202].includes((await stack.api('POST', `/users/${name}/server`)).status));
      assert.equal((await stack.waitReady(name)).at(-1).ready, true);
    }
  });
  after(() => stack.stop());

  it('stops the idle server and keeps the one in use', async () => {
    let stop = false;
    const busy = (async () => {
      while (!stop) {
        const res = await fetch(`${stack.publicUrl}/user/pt-busy/api/status`, { headers: { Authorization: `token ${tokens['pt-busy']}` } });
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    try {
      await waitFor(async () => (await stack.api('GET', '/users/pt-idle')).data.server === null, 20_000, 'the idle server to be culled');
    } finally {
      stop = true;
      await busy;
    }
    const routes = await stack.routes();
    assert.ok(!('/user/pt-idle' in routes), 'the culled server has no route');
    assert.equal((await stack.api('GET', '/users/pt-busy')).data.server, '/user/pt-busy/', 'the busy server still runs');
  });
});
