import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { docker, dockerOk, removeUserContainers } from '../helpers/docker.ts';
import { addEnvironment } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { alive } from '../helpers/processes.ts';
import { REPO_ROOT, Stack, waitFor } from '../helpers/stack.ts';
import { createSystemUser, removeSystemGroup, removeSystemUser } from '../helpers/system-users.ts';

const USERS = ['pt-drst1', 'pt-drst2'];
const GROUP = 'pt-drstclass';
const IMAGE = 'plasma-test/drst-base:HEAD';

/** Restarts the shared Docker daemon: a clean stop (as `systemctl restart docker` does), then scripts/ensure-docker.sh. */
async function restartDockerd(): Promise<void> {
  const pid = Number(fs.readFileSync('/var/run/docker.pid', 'utf8'));
  process.kill(pid, 'SIGTERM');
  await waitFor(() => !alive(pid), 60_000, 'dockerd to stop');
  execFileSync(path.join(REPO_ROOT, 'scripts/ensure-docker.sh'), { stdio: 'ignore' });
}

// Issue 15, reliability test 4: dockerd restarts under running servers (it stops their containers on the way down,
// and the hub hears of each only through Docker). Soon after the daemon is back, the hub shows what Docker has.
describe('dockerd restarted while servers run', () => {
  const repos = new GitServer();
  const stack = new Stack({
    config: {
      auth: { type: 'pam' }, culler: { enabled: false },
      // The poller alone would take 30 s: the hub must notice through Docker's events and the daemon's return.
      spawner: { type: 'docker', poll_interval: 30, docker: { network: 'host', stop_timeout: 2 } },
      environments: { build_network: 'host', image_prefix: 'plasma-test/drst-', local_roots: [repos.root] },
    },
  });
  const tokens: Record<string, string> = {};

  before(async () => {
    removeUserContainers(USERS);
    repos.commit('base', { 'README.md': '# dockerd restart\n' });
    for (const user of USERS) createSystemUser(user, 'Drst-pass-1', [GROUP]);
    await stack.start();
    await addEnvironment(stack, { repo: repos.path('base') });
    assert.equal((await stack.api('POST', `/groups/${GROUP}`, { json: {} })).status, 201);
    assert.equal((await stack.api('POST', '/plasma/environments/base/groups', { json: { groups: [GROUP] } })).status, 200);
    for (const user of USERS) {
      assert.equal((await stack.api('POST', `/users/${user}`)).status, 201);
      tokens[user] = (await stack.api('POST', `/users/${user}/tokens`, { json: { note: 'dockerd restart' } })).data.token;
    }
  });
  after(async () => {
    await stack.stop();
    removeUserContainers(USERS);
    dockerOk('rmi', '-f', IMAGE);
    for (const user of USERS) removeSystemUser(user);
    removeSystemGroup(GROUP);
    await repos.stop();
  });

  /** Each user's server as the hub shows it, next to whether Docker runs its container. */
  async function views() {
    return Promise.all(USERS.map(async (user) => {
      const hub = (await stack.api('GET', `/users/${user}`)).data.servers['']?.ready === true;
      const inDocker = docker('ps', '-q', '--filter', `label=plasma.user=${user}`, '--filter', 'status=running').length > 0;
      const routed = `/user/${user}` in (await stack.routes());
      return { user, hub, docker: inDocker, routed };
    }));
  }

  it('the hub\'s view matches Docker\'s within 10 s after the daemon is back, and servers start again', async () => {
    for (const user of USERS) {
      const r = await stack.api('POST', `/users/${user}/server`, { json: { environment: 'base' } });
      assert.ok([201, 202].includes(r.status), r.text);
    }
    for (const user of USERS) assert.equal((await stack.waitReady(user)).at(-1).ready, true);
    assert.ok((await views()).every((v) => v.hub && v.docker && v.routed), 'both run before the restart');

    await restartDockerd();
    let last: Awaited<ReturnType<typeof views>> = [];
    await waitFor(async () => {
      last = await views();
      return last.every((v) => v.hub === v.docker && v.routed === v.docker);
    }, 10_000, 'the hub to show what Docker has').catch((err) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    console.log(`# after the dockerd restart: ${JSON.stringify(last)}`);

    for (const user of USERS) {
      if (last.find((v) => v.user === user)!.hub) continue;
      const r = await stack.api('POST', `/users/${user}/server`, { json: { environment: 'base' } });
      assert.ok([201, 202].includes(r.status), r.text);
      assert.equal((await stack.waitReady(user)).at(-1).ready, true);
    }
    for (const user of USERS) {
      const res = await fetch(`${stack.publicUrl}/user/${user}/api/status`, { headers: { Authorization: `token ${tokens[user]}` } });
      assert.equal(res.status, 200, `${user}'s server answers`);
    }
  });
});
