import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dockerOk, removeTestContainersAndImages, tagTestImage, TEST_IMAGE } from '../helpers/docker.ts';
import { Stack } from '../helpers/stack.ts';
import { createSystemUser, removeSystemUser } from '../helpers/system-users.ts';

const USER = 'pt-dock2';

// Issue 4, item 5: what users see when things go wrong is a message, not a stack trace.
describe('Docker spawner errors', () => {
  before(() => {
    removeTestContainersAndImages();
    tagTestImage();
    createSystemUser(USER, 'Err0rs-student!');
  });
  after(() => {
    removeTestContainersAndImages();
    removeSystemUser(USER);
  });

  it('Docker daemon down → 503 with a message, and nothing is left running', async () => {
    const stack = new Stack({ config: { spawner: { type: 'docker', docker: { network: 'host', default_image: TEST_IMAGE, socket: '/tmp/pt-no-docker-here.sock' } } } });
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
      config: { spawner: { type: 'docker', http_timeout: 4, docker: { network: 'host', default_image: TEST_IMAGE, cmd: ['sleep', '600'] } } },
    });
    try {
      await stack.start();
      assert.equal((await stack.api('POST', `/users/${USER}`)).status, 201);
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
