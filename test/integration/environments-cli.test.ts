import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dockerOk } from '../helpers/docker.ts';
import { GitServer } from '../helpers/git-server.ts';
import { Stack, waitFor } from '../helpers/stack.ts';

const PREFIX = 'plasma-test/cli-';

// Issue 11: `plasma env …` drives the running hub (builds, logs, permissions) as an admin would from a shell.
describe('plasma env (the CLI)', () => {
  const repos = new GitServer();
  const stack = new Stack({ config: { environments: { build_network: 'host', image_prefix: PREFIX, local_roots: [repos.root] } } });

  before(async () => {
    repos.commit('lab', { 'lab.md': '# lab\n', postBuild: { content: '#!/bin/bash\necho "postBuild says $GREETING"\n', mode: 0o755 } });
    repos.commit('sleepy', { postBuild: { content: '#!/bin/bash\necho sleepy-start\nsleep 60\n', mode: 0o755 } });
    repos.commit('broken', { postBuild: { content: '#!/bin/bash\necho broken on purpose >&2\nexit 7\n', mode: 0o755 } });
    await stack.start();
    assert.equal((await stack.api('POST', '/groups/pt-cligroup', { json: {} })).status, 201);
  });

  after(async () => {
    await stack.stop();
    dockerOk('rmi', '-f', `${PREFIX}lab:HEAD`);
    await repos.stop();
  });

  it('env add waits for the build, showing each step; list, show and logs report it', async () => {
    const out = await stack.cli(['env', 'add', repos.path('lab'), '--display-name', 'Lab work', '--memory', '1G', '--cpu', '0.5', '--build-arg', 'GREETING=hello']);
    assert.match(out, /^lab: fetched [0-9a-f]{7}; build #\d+ queued as plasma-test\/cli-lab:HEAD$/m);
    assert.match(out, /^lab: \[1\/\d+\] FROM plasma\/base:latest$/m, 'a line per step');
    assert.match(out, /^lab: built$/m);

    const list = JSON.parse(await stack.cli(['env', 'list', '--json']));
    assert.deepEqual(list.map((e: any) => [e.name, e.status, e.display_name, e.memory, e.cpu, e.build_args]), [['lab', 'built', 'Lab work', '1G', 0.5, { GREETING: 'hello' }]]);
    const text = await stack.cli(['env', 'list']);
    assert.match(text, /^NAME\s+STATUS\s+DISPLAY NAME/);
    assert.match(text, /^lab\s+built\s+Lab work\s+HEAD\s+[0-9a-f]{7}\s+-/m);
    assert.match(await stack.cli(['env', 'show', 'lab']), /^memory\s+1G$/m);
    assert.match(await stack.cli(['env', 'logs', 'lab']), /postBuild says hello/, 'build arguments reach postBuild');
  });

  it('env grant and revoke change who may use it; env permissions shows the matrix', async () => {
    assert.equal(await stack.cli(['env', 'grant', 'lab', 'pt-cligroup']), 'lab: groups pt-cligroup');
    assert.match(await stack.cli(['env', 'permissions']), /^lab\s+yes$/m);
    assert.equal(await stack.cli(['env', 'revoke', 'lab', 'pt-cligroup']), 'lab: groups (none)');
    await assert.rejects(stack.cli(['env', 'grant', 'lab', 'pt-nosuchgroup']), /no hub group is named pt-nosuchgroup/);
  });

  it('env rebuild --follow streams the whole log, with the layers it reused', async () => {
    const out = await stack.cli(['env', 'rebuild', 'lab', '--follow']);
    assert.match(out, /Step \d+\/\d+ : COPY --chown=jovyan:jovyan src\/ \/home\/jovyan\/\n ---> Using cache/);
    assert.match(out, /^lab: built$/m);
  });

  it('a failed build exits non-zero and says where the log is; bad input names the field', async () => {
    await assert.rejects(stack.cli(['env', 'add', repos.path('broken')]), (err: Error) => {
      assert.match(err.message, /exited 1/);
      assert.match(err.message, /broken: the build failed: .*returned a non-zero code: 7/);
      assert.match(err.message, /plasma env logs broken/);
      return true;
    });
    await assert.rejects(stack.cli(['env', 'add', 'ext::sh -c touch% /tmp/pt-cli-x']), /repo: git remote helpers/);
    await assert.rejects(stack.cli(['env', 'add', repos.path('lab'), '--name', 'no/slash']), /name: invalid name/);
    await assert.rejects(stack.cli(['env', 'add', repos.path('lab'), '--username', 'x']), /needs --password-stdin/);
  });

  it('env cancel stops a running build: it ends failed, and nothing is tagged', async () => {
    assert.match(await stack.cli(['env', 'add', repos.path('sleepy'), '--no-wait']), /follow it with: plasma env logs sleepy --follow/);
    await waitFor(async () => /sleepy-start/.test((await stack.api('GET', '/plasma/environments/sleepy/logs')).data.log), 60_000, 'postBuild to start');
    assert.match(await stack.cli(['env', 'cancel', 'sleepy']), /^sleepy: build #\d+ failed: cancelled by pt-admin$/);
    assert.equal(dockerOk('image', 'inspect', `${PREFIX}sleepy:HEAD`).code, 1, 'no image');
    await assert.rejects(stack.cli(['env', 'cancel', 'sleepy']), /no build of sleepy is queued or running/);
    assert.equal(await stack.cli(['env', 'remove', 'sleepy', '--yes']), 'removed sleepy');
  });

  it('env remove --yes removes it and its image', async () => {
    assert.equal(await stack.cli(['env', 'remove', 'lab', '--yes']), 'removed lab');
    assert.notEqual(dockerOk('image', 'inspect', `${PREFIX}lab:HEAD`).code, 0);
    assert.deepEqual(JSON.parse(await stack.cli(['env', 'list', '--json'])).map((e: any) => e.name), ['broken']);
  });
});
