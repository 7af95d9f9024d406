import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dockerOk, removeUserContainers } from '../helpers/docker.ts';
import { addEnvironment } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { Stack } from '../helpers/stack.ts';
import { createSystemUser, removeSystemUser } from '../helpers/system-users.ts';

const USER = 'pt-dock2';

// Issue 4, item 5: what users see when things go wrong is a message, not a stack trace.
describe('Docker spawner errors', () => {
  const repos = new GitServer();
  const environments = { build_network: 'host', image_prefix: 'plasma-test/errors-', local_roots: [repos.root] };
  before(() => {
    removeUserContainers([USER]);
    createSystemUser(USER, 'Err0rs-student!');
    repos.commit('quiet', { 'README.md': '# never answers\n' });
  });
  after(async () => {
    removeUserContainers([USER]);
    dockerOk('rmi', '-f', 'plasma-test/errors-quiet:HEAD');
    removeSystemUser(USER);
    await repos.stop();
  });

  it('Docker daemon down → 503 with a message, and nothing is left running', async () => {
    const stack = new Stack({ config: { environments, spawner: { type: 'docker', docker: { network: 'host', socket: '/tmp/pt-no-docker-here.sock' } } } });
    try {
      await stack.start();
      assert.equal((await stack.api('POST', `/users/${USER}`)).status, 201);
      const res = await stack.api('POST', `/users/${USER}/server`);
      assert.equal(res.status, 503);
      assert.match(res.data.message, /^Docker is not available/);
      assert.doesNotMatch(res.data.message, /\n\s+at /, 'no stack trace');
      const model = (await stack.api('GET', `/users/${USER}`)).data;
      assert.deepEqual([model.server, model.servers], [null, {}]);
    } finally {
      await stack.stop();
    }
  });

  it('a server that never answers is cleaned up and the user is told why', async () => {
    const stack = new Stack({
      config: { environments, spawner: { type: 'docker', http_timeout: 4, docker: { network: 'host', cmd: ['sleep', '600'] } } },
    });
    try {
      await stack.start();
      // The only environment this user may use: a start that names none gets it.
      await addEnvironment(stack, { repo: repos.path('quiet') });
      assert.equal((await stack.api('POST', `/users/${USER}`)).status, 201);
      assert.equal((await stack.api('POST', '/groups/pt-errors', { json: { users: [USER] } })).status, 201);
      assert.equal((await stack.api('POST', '/plasma/environments/quiet/groups', { json: { groups: ['pt-errors'] } })).status, 200);
      const res = await stack.api('POST', `/users/${USER}/server`);
      // Either the start call already saw the failure, or it answered 202 and the progress stream tells.
      if (res.status === 202) {
        const events = await stack.waitReady(USER);
        assert.equal(events.at(-1).failed, true);
        assert.match(events.at(-1).message, /did not answer within 4 s/);
      } else {
        assert.equal(res.status, 500);
        assert.match(res.data.message, /did not answer within 4 s/);
      }
      assert.equal(dockerOk('inspect', `jupyter-${USER}`).code, 1, 'the container was removed');
      const model = (await stack.api('GET', `/users/${USER}`)).data;
      assert.deepEqual([model.server, model.pending, model.servers], [null, null, {}]);
      const home = await stack.api('GET', `/users/${USER}?include_stopped_servers=1`);
      assert.equal(home.data.servers[''].stopped, true);
      assert.ok(!(`/user/${USER}` in (await stack.routes())));
    } finally {
      await stack.stop();
    }
  });
});
