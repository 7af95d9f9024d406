import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { Browser } from '../helpers/browser.ts';
import { docker, dockerOk, removeUserContainers } from '../helpers/docker.ts';
import { addEnvironment } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { Stack, waitFor } from '../helpers/stack.ts';
import { createSystemUser, removeSystemGroup, removeSystemUser } from '../helpers/system-users.ts';

const EARLY = 'pt-clsrl1';
const LATE = 'pt-clsrl2';
const GROUP = 'pt-clsrlgrp';
const PASSWORD = 'Reload-pw-2026';
const PREFIX = 'plasma-test/clsrl-';
const USERS = [EARLY, LATE];

// Issue 14, must-show 7: `plasma config set limits.memory 1G && plasma config reload`: the next server gets 1 G,
// running servers keep running; banning a user ends their sessions at once. Real Docker servers.
describe('live config reload, tljh-config aliases, banned users', () => {
  const repos = new GitServer();
  const stack = new Stack({
    config: {
      auth: { type: 'pam' },
      spawner: { type: 'docker', docker: { network: 'host', memory_limit: '512M', stop_timeout: 1 } },
      environments: { build_network: 'host', image_prefix: PREFIX, local_roots: [repos.root], default: 'lab' },
    },
  });
  const configFile = () => path.join(stack.prefix, 'config', 'config.yaml');
  const tokens: Record<string, string> = {};

  before(async () => {
    removeUserContainers(USERS);
    for (const u of USERS) createSystemUser(u, PASSWORD, [GROUP]);
    repos.commit('lab', { 'README.md': '# lab\n' });
    await stack.start();
    await addEnvironment(stack, { repo: repos.path('lab') });
    assert.equal((await stack.api('POST', `/groups/${GROUP}`, { json: {} })).status, 201);
    assert.equal((await stack.api('POST', '/plasma/environments/lab/groups', { json: { groups: [GROUP] } })).status, 200);
    for (const u of USERS) {
      assert.equal((await new Browser(stack.publicUrl).login(u, PASSWORD)).status, 200);
      tokens[u] = await stack.cli(['token', u]);
    }
  });
  after(async () => {
    await stack.stop();
    removeUserContainers(USERS);
    dockerOk('rmi', '-f', `${PREFIX}lab:HEAD`);
    for (const u of USERS) removeSystemUser(u);
    removeSystemGroup(GROUP);
    await repos.stop();
  });

  it('limits.memory 1G and a reload: the next server gets 1 G; the running one keeps running, untouched', async () => {
    assert.ok([201, 202].includes((await stack.api('POST', `/users/${EARLY}/server`, { token: tokens[EARLY] })).status));
    assert.equal((await stack.waitReady(EARLY, '', tokens[EARLY])).at(-1).ready, true);
    const early = JSON.parse(docker('inspect', `jupyter-${EARLY}`))[0];
    assert.equal(early.HostConfig.Memory, 512 * 1024 * 1024);

    assert.match(await stack.cli(['config', 'set', 'limits.memory', '1G']), /set spawner\.docker\.memory_limit \(tljh-config's limits\.memory\); run "plasma config reload"/);
    await stack.cli(['config', 'set', 'services.cull.timeout', '1800']);
    await stack.cli(['config', 'set', 'hub.cookie_max_age_days', '7']);
    assert.equal(YAML.parse(fs.readFileSync(configFile(), 'utf8')).spawner.docker.memory_limit, '1G');
    const reload = await stack.cli(['config', 'reload']);
    assert.match(reload, /applied: culler\.timeout, spawner\.docker\.memory_limit/);
    assert.match(reload, /needs a hub restart \(systemctl restart plasma-hub\): hub\.cookie_max_age_days/);

    assert.ok([201, 202].includes((await stack.api('POST', `/users/${LATE}/server`, { token: tokens[LATE] })).status));
    assert.equal((await stack.waitReady(LATE, '', tokens[LATE])).at(-1).ready, true);
    assert.equal(JSON.parse(docker('inspect', `jupyter-${LATE}`))[0].HostConfig.Memory, 1024 * 1024 * 1024, 'the next server gets 1 G');
    const still = JSON.parse(docker('inspect', `jupyter-${EARLY}`))[0];
    assert.equal(still.Id, early.Id, 'the same container');
    assert.equal(still.State.Running, true);
    assert.equal(still.HostConfig.Memory, 512 * 1024 * 1024);
    const res = await fetch(`${stack.publicUrl}/user/${EARLY}/api/status`, { headers: { Authorization: `token ${tokens[EARLY]}` } });
    assert.equal(res.status, 200, 'and it still answers through the proxy');
    assert.match(await stack.cli(['logs', EARLY, '-n', '200']), /JupyterHub|Jupyter Notebook|jupyterhub-singleuser/i, 'plasma logs USER reads the container');
  });

  it('a bad value is refused at set, a bad file at reload; nothing is applied', async () => {
    await assert.rejects(stack.cli(['config', 'set', 'limits.memory', 'lots']), /spawner\.docker\.memory_limit: a size such as 2G or 512M/);
    const text = fs.readFileSync(configFile(), 'utf8');
    fs.writeFileSync(configFile(), text.replace('1800', '-5').replace("memory_limit: 1G", 'memory_limit: 2G'));
    try {
      await assert.rejects(stack.cli(['config', 'reload']), /culler\.timeout: Too small/);
      const api = await stack.api('POST', '/plasma/config/reload');
      assert.equal(api.status, 400);
      assert.match(api.data.message, /culler\.timeout: Too small[^]*nothing was applied/);
    } finally {
      fs.writeFileSync(configFile(), text);
    }
    // Only the key that waits for a restart is still pending: the bad file applied nothing.
    assert.equal(await stack.cli(['config', 'reload']), 'needs a hub restart (systemctl restart plasma-hub): hub.cookie_max_age_days');
  });

  it('banning a user ends their sessions, tokens and servers at once', async () => {
    const browser = new Browser(stack.publicUrl);
    assert.equal((await browser.login(EARLY, PASSWORD)).status, 200);
    assert.equal((await browser.go('/hub/home')).url, '/hub/home');
    assert.match(await stack.cli(['config', 'add-item', 'users.banned', EARLY]), /added to auth\.banned_users \(tljh-config's users\.banned\)/);
    assert.match(await stack.cli(['config', 'reload']), new RegExp(`banned now \\(sessions, tokens and servers ended\\): ${EARLY}`));
    assert.match((await browser.go('/hub/home')).url, /^\/hub\/login/, 'the browser session is gone');
    assert.equal((await stack.api('GET', '/user', { token: tokens[EARLY] })).status, 403, 'the API token is gone');
    await waitFor(() => dockerOk('inspect', `jupyter-${EARLY}`).code !== 0, 30_000, 'their container to stop');
    const again = await new Browser(stack.publicUrl).login(EARLY, PASSWORD);
    assert.equal(again.status, 403);
    assert.match(again.text, /This account is banned from Plasma/);
    assert.equal((await stack.api('GET', '/user', { token: tokens[LATE] })).status, 200, 'other users are untouched');
    assert.equal(JSON.parse(docker('inspect', `jupyter-${LATE}`))[0].State.Running, true);
  });
});
