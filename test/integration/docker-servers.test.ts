import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser, xsrfOf } from '../helpers/browser.ts';
import { docker, dockerOk, removeUserContainers } from '../helpers/docker.ts';
import { addEnvironment } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { Stack, waitFor } from '../helpers/stack.ts';
import { createSystemUser, removeSystemGroup, removeSystemUser } from '../helpers/system-users.ts';

const USER = 'pt-dock1';
/** A user whose name is USER's named server "a" written out: the old escaping gave both one container. */
const LOOKALIKE = 'pt-dock1-a';
const GROUP = 'pt-dockclass';
const PASSWORD = 'D0cker-student!';
const IMAGE = 'plasma-test/dock-base:HEAD';

// Issue 4: Docker user servers with Plasma's system-user semantics, through the real hub and proxy.
describe('Docker user servers', () => {
  const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-srv-data-'));
  const repos = new GitServer();
  const stack = new Stack({
    config: {
      auth: { type: 'pam' },
      spawner: {
        type: 'docker', poll_interval: 1, start_timeout: 120,
        named_servers: { enabled: true, limit_per_user: 2 },
        docker: { network: 'host', shared_data_path: shared, memory_limit: '384M', cpu_limit: 1.5, stop_timeout: 2 },
      },
      environments: { build_network: 'host', image_prefix: 'plasma-test/dock-', local_roots: [repos.root] },
    },
  });
  let account: { uid: number; gid: number; home: string };
  let userToken = '';
  const browser = new Browser('');

  before(async () => {
    removeUserContainers([USER, LOOKALIKE]);
    repos.commit('base', { 'course.md': '# from the repository\n' });
    account = createSystemUser(USER, PASSWORD, [GROUP]);
    createSystemUser(LOOKALIKE, PASSWORD, [GROUP]);
    // A file the student already had in the environment folder: the image's copy must not replace it.
    fs.mkdirSync(path.join(account.home, 'base'));
    fs.writeFileSync(path.join(account.home, 'base', 'README.md'), 'my own notes\n');
    fs.chownSync(path.join(account.home, 'base'), account.uid, account.gid);
    fs.chownSync(path.join(account.home, 'base', 'README.md'), account.uid, account.gid);
    fs.chmodSync(shared, 0o755); // as /srv/data is: readable by every student
    fs.writeFileSync(path.join(shared, 'course.txt'), 'shared course data\n', { mode: 0o644 });
    await stack.start();
    // An environment whose folder is ~/base (its display name), granted to the student's UNIX group.
    await addEnvironment(stack, { repo: repos.path('base') });
    assert.equal((await stack.api('POST', `/groups/${GROUP}`, { json: {} })).status, 201);
    assert.equal((await stack.api('POST', '/plasma/environments/base/groups', { json: { groups: [GROUP] } })).status, 200);
    Object.assign(browser, { origin: stack.publicUrl });
  });
  after(async () => {
    await stack.stop();
    removeUserContainers([USER, LOOKALIKE]);
    dockerOk('rmi', '-f', IMAGE);
    removeSystemUser(USER);
    removeSystemUser(LOOKALIKE);
    removeSystemGroup(GROUP);
    await repos.stop();
    fs.rmSync(shared, { recursive: true, force: true });
  });

  it('a student logs in with PAM, starts a server, and works in ~/<environment> as themselves', async () => {
    assert.equal((await browser.login(USER, PASSWORD)).status, 200);
    const spawnPage = await browser.go('/hub/spawn');
    assert.equal((await browser.go('/hub/spawn', { form: { _xsrf: xsrfOf(spawnPage.text), environment: 'base' } })).url, `/hub/spawn-pending/${USER}`);
    const events = await stack.waitReady(USER);
    assert.equal(events.at(-1).ready, true, JSON.stringify(events.at(-1)));

    const name = `jupyter-${USER}`;
    const info = JSON.parse(docker('inspect', name))[0];
    assert.equal(info.Config.User, `${account.uid}:${account.gid}`);
    assert.equal(info.Config.Labels['plasma.user'], USER);
    assert.equal(info.Config.WorkingDir, path.join(account.home, 'base'));
    assert.equal(info.HostConfig.Init, true);
    assert.equal(info.HostConfig.AutoRemove, true);

    // Every process in the container runs as the student, none as root.
    const uids = docker('top', name, '-eo', 'pid,uid').split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[1]));
    assert.ok(uids.length >= 2, 'init and the server');
    assert.ok(uids.every((u) => u === account.uid), `process uids: ${uids}`);

    // Through the proxy with OAuth, the student writes a file with Jupyter's contents API.
    assert.equal((await browser.go(`/user/${USER}/`)).status, 200);
    userToken = await stack.cli(['token', USER]);
    const put = await fetch(`${stack.publicUrl}/user/${USER}/api/contents/from-jupyter.txt`, {
      method: 'PUT', headers: { Authorization: `token ${userToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content: 'written in the container' }),
    });
    assert.equal(put.status, 201, await put.text());
    const onHost = path.join(account.home, 'base', 'from-jupyter.txt');
    assert.equal(fs.readFileSync(onHost, 'utf8'), 'written in the container');
    assert.equal(fs.statSync(onHost).uid, account.uid, 'owned by the student on the host');

    assert.equal(fs.readFileSync(path.join(account.home, 'base', 'README.md'), 'utf8'), 'my own notes\n', 'the student\'s file was not overwritten');
    assert.ok(fs.existsSync(path.join(account.home, 'base', 'Welcome.ipynb')), 'the image\'s starter content was copied');
    assert.equal(fs.statSync(path.join(account.home, 'base', 'Welcome.ipynb')).uid, account.uid);
    assert.equal(fs.readFileSync(path.join(account.home, 'base', 'course.md'), 'utf8'), '# from the repository\n', 'and the repository\'s files');

    assert.equal(docker('exec', name, 'cat', '/srv/data/course.txt'), 'shared course data');
    const write = dockerOk('exec', name, 'touch', '/srv/data/nope');
    assert.notEqual(write.code, 0);
    assert.match(write.out, /Read-only file system/);
    assert.ok(!fs.existsSync(path.join(shared, 'nope')));
  });

  it('memory and CPU limits are set, and the hub\'s view matches what Docker does past the limit', async () => {
    const name = `jupyter-${USER}`;
    const info = JSON.parse(docker('inspect', name))[0];
    assert.equal(info.HostConfig.Memory, 384 * 1024 * 1024);
    assert.equal(info.HostConfig.CpuQuota, 150_000);
    assert.equal(info.HostConfig.CpuPeriod, 100_000);
    const hog = dockerOk('exec', name, 'python3', '-c', 'b = bytearray(1024 * 1024 * 1024); print(len(b))');
    assert.equal(hog.code, 137, `the allocating process is killed (exit ${hog.code}: ${hog.out})`);
    await new Promise((r) => setTimeout(r, 2500)); // two poll intervals
    const running = JSON.parse(dockerOk('inspect', name).out || '[{}]')[0]?.State?.Running === true;
    const model = (await stack.api('GET', `/users/${USER}`)).data;
    assert.equal(model.servers['']?.ready === true, running, `hub says ready=${model.servers['']?.ready}, Docker says running=${running}`);
    assert.ok(running, 'Docker kills the process, not the server');
    const status = await fetch(`${stack.publicUrl}/user/${USER}/api/status`, { headers: { Authorization: `token ${userToken}` } });
    assert.equal(status.status, 200);
  });

  it('two named servers run side by side; a third is refused with a clear message', async () => {
    for (const server of ['a', 'b']) {
      const r = await stack.api('POST', `/users/${USER}/servers/${server}`, { json: { environment: 'base' } });
      assert.ok([201, 202].includes(r.status), r.text);
    }
    for (const server of ['a', 'b']) assert.equal((await stack.waitReady(USER, server)).at(-1).ready, true);
    const names = docker('ps', '--filter', `label=plasma.user=${USER}`, '--format', '{{.Names}}').split('\n').sort();
    assert.deepEqual(names, [`jupyter-${USER}`, `jupyter-${USER}-S-a`, `jupyter-${USER}-S-b`]);
    for (const server of ['a', 'b']) {
      const res = await fetch(`${stack.publicUrl}/user/${USER}/${server}/api/status`, { headers: { Authorization: `token ${userToken}` } });
      assert.equal(res.status, 200, `named server ${server} answers`);
    }
    const third = await stack.api('POST', `/users/${USER}/servers/c`, { json: { environment: 'base' } });
    assert.equal(third.status, 400);
    assert.match(third.data.message, /maximum of 2 named servers/);
    assert.equal(dockerOk('inspect', `jupyter-${USER}-S-c`).code, 1, 'no container was made for the refused server');
  });

  it(`CVE-2020-15110: ${USER}'s server "a" and the user ${LOOKALIKE} never share a container, a home or a route`, async () => {
    assert.equal((await stack.api('POST', `/users/${LOOKALIKE}`)).status, 201);
    const r = await stack.api('POST', `/users/${LOOKALIKE}/server`, { json: { environment: 'base' } });
    assert.ok([201, 202].includes(r.status), r.text);
    assert.equal((await stack.waitReady(LOOKALIKE)).at(-1).ready, true);
    const inspect = (user: string, server: string) => {
      const id = docker('ps', '-q', '--filter', `label=plasma.user=${user}`, '--filter', `label=plasma.server=${server}`);
      assert.ok(id && !id.includes('\n'), `one container for ${user}/${server}: ${id}`);
      return JSON.parse(docker('inspect', id))[0];
    };
    const named = inspect(USER, 'a');
    const other = inspect(LOOKALIKE, '');
    assert.notEqual(named.Id, other.Id);
    assert.notEqual(named.Name, other.Name);
    assert.equal(named.Config.User, `${account.uid}:${account.gid}`);
    assert.notEqual(other.Config.User, named.Config.User, 'each runs as its own user');
    assert.ok(named.HostConfig.Binds.some((b: string) => b.startsWith(`${account.home}:`)));
    assert.ok(other.HostConfig.Binds.every((b: string) => !b.startsWith(`${account.home}:`)), `${LOOKALIKE} does not get ${USER}'s home`);
    const routes = await stack.routes();
    assert.ok(routes[`/user/${USER}/a`] && routes[`/user/${LOOKALIKE}`], Object.keys(routes).join(' '));
    assert.notEqual(routes[`/user/${USER}/a`].target, routes[`/user/${LOOKALIKE}`].target);
    const token = await stack.cli(['token', LOOKALIKE]);
    const cross = await fetch(`${stack.publicUrl}/user/${USER}/a/api/status`, { headers: { Authorization: `token ${token}` } });
    assert.equal(cross.status, 403, `${LOOKALIKE} cannot use ${USER}'s server a`);
    assert.ok((await stack.api('DELETE', `/users/${LOOKALIKE}/server`)).status < 300);
    await waitFor(() => docker('ps', '-q', '--filter', `label=plasma.user=${LOOKALIKE}`) === '', 30_000, `${LOOKALIKE}'s container to go`);
    assert.equal(inspect(USER, 'a').Id, named.Id, `${USER}'s server a is untouched`);
  });

  it('after a hub crash the same containers serve on; one removed meanwhile is shown stopped, its route gone', async () => {
    const ids = Object.fromEntries(['', '-S-a', '-S-b'].map((s) => [s, docker('inspect', '-f', '{{.Id}}', `jupyter-${USER}${s}`)]));
    await stack.killHub('SIGKILL');
    docker('rm', '-f', `jupyter-${USER}-S-b`);
    await stack.startHub();
    for (const s of ['', '-S-a']) assert.equal(docker('inspect', '-f', '{{.Id}}', `jupyter-${USER}${s}`), ids[s], 'the same container');
    const model = (await stack.api('GET', `/users/${USER}`)).data;
    assert.equal(model.servers['']?.ready, true);
    assert.equal(model.servers.a?.ready, true);
    assert.equal(model.servers.b, undefined, 'the removed server is not shown running');
    const routes = await stack.routes();
    assert.ok(`/user/${USER}` in routes && `/user/${USER}/a` in routes);
    assert.ok(!(`/user/${USER}/b` in routes), 'its route is gone');
    const res = await fetch(`${stack.publicUrl}/user/${USER}/a/api/status`, { headers: { Authorization: `token ${userToken}` } });
    assert.equal(res.status, 200);

    // While the hub runs, its poller catches a container that disappears.
    docker('rm', '-f', `jupyter-${USER}-S-a`);
    await waitFor(async () => (await stack.api('GET', `/users/${USER}`)).data.servers.a === undefined, 10_000, 'the poller to notice');
    assert.ok(!(`/user/${USER}/a` in (await stack.routes())));
  });

  it('errors users see: a missing environment, and stopping cleans up', async () => {
    const missing = await stack.api('POST', `/users/${USER}/servers/x`, { json: { image: 'plasma-test/missing:latest' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.data.message, '"plasma-test/missing:latest" is not a built environment on this hub');
    const bad = await stack.api('POST', `/users/${USER}/servers/y`, { json: { image: '../../etc' } });
    assert.equal(bad.status, 400);
    assert.equal((await stack.api('DELETE', `/users/${USER}/server`)).status, 204);
    assert.equal(dockerOk('inspect', `jupyter-${USER}`).code, 1, 'the container is removed on stop');
    assert.equal((await stack.api('GET', `/users/${USER}`)).data.server, null);
  });
});
