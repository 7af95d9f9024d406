import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runInKernel } from '../helpers/kernel.ts';
import { alive } from '../helpers/processes.ts';
import { Stack, waitFor } from '../helpers/stack.ts';
import { createSystemUser, removeSystemGroup, removeSystemUser } from '../helpers/system-users.ts';

const STUDENT = 'pt-forked';
const OTHER = 'pt-forked2';
const GROUP = 'pt-forkgrp';

/** What /proc says about a process: its parent, session, ids and supplementary groups, and working directory. */
function processFacts(pid: number) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => status.split('\n').find((l) => l.startsWith(`${name}:`))!.split(/\s+/).slice(1).filter(Boolean).map(Number);
  return { ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), uid: field('Uid')[0], gid: field('Gid')[0], groups: field('Groups'), cwd: fs.readlinkSync(`/proc/${pid}/cwd`) };
}

const runFileOf = (stack: Stack, user: string) => path.join(stack.prefix, 'run', 'servers', `${user}.json`);
const pidOf = (stack: Stack, user: string) => JSON.parse(fs.readFileSync(runFileOf(stack, user), 'utf8')).state.pid as number;

async function start(stack: Stack, user: string) {
  const res = await stack.api('POST', `/users/${user}/server`);
  assert.ok([201, 202].includes(res.status), res.text);
  assert.equal((await stack.waitReady(user)).at(-1).ready, true);
  return pidOf(stack, user);
}

// Local servers forked from a preloaded jupyterhub-singleuser (src/spawner/preload.ts): each must be what an exec'd
// server is — the student's own uid, groups, home and environment, a working kernel — and outlive the hub.
describe('local servers from the fork server', () => {
  const stack = new Stack();
  let account: ReturnType<typeof createSystemUser>;
  let other: ReturnType<typeof createSystemUser>;
  before(async () => {
    account = createSystemUser(STUDENT, 'forked-pass-1', [GROUP]);
    other = createSystemUser(OTHER, 'forked-pass-2');
    await stack.start();
    assert.equal((await stack.api('POST', '/users', { json: { usernames: [STUDENT, OTHER] } })).status, 201);
  });
  after(async () => {
    await stack.stop();
    removeSystemUser(STUDENT);
    removeSystemUser(OTHER);
    removeSystemGroup(GROUP);
  });

  it('runs as the student, in their home, with their groups, and its kernel works', async () => {
    const pid = await start(stack, STUDENT);
    const facts = processFacts(pid);
    assert.deepEqual([facts.uid, facts.gid], [account.uid, account.gid]);
    const groupId = Number(fs.readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith(`${GROUP}:`))!.split(':')[2]);
    assert.ok(facts.groups.includes(groupId), `the student's supplementary group is there (${facts.groups})`);
    assert.equal(facts.cwd, account.home);
    assert.deepEqual([facts.sid, facts.pgid], [pid, pid], 'it leads its own session and process group');
    assert.notEqual(facts.ppid, stack.hub!.pid, 'forked by the fork server, not exec\'d by the hub');
    assert.match(fs.readFileSync(stack.hubLog, 'utf8'), /"preloaded":true/);
    // python3-setproctitle (installed by .ci/run and the quick start): ps shows what an exec'd server would show.
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    assert.match(cmdline, /^\/usr\/bin\/python3 \/usr\/bin\/jupyterhub-singleuser/, cmdline);

    const token = await stack.cli(['token', STUDENT]);
    const run = await runInKernel(`${stack.publicUrl}/user/${STUDENT}/`, token, [
      'import os, random',
      "open('made-by-kernel.txt', 'w').write('hello')",
      "print(os.getuid(), os.environ['HOME'], os.environ['JUPYTERHUB_USER'], 'JUPYTERHUB_API_TOKEN' in os.environ)",
    ].join('\n'));
    assert.equal(run.error, null);
    assert.equal(run.stdout.trim(), `${account.uid} ${account.home} ${STUDENT} True`);
    const made = path.join(account.home, 'made-by-kernel.txt');
    assert.equal(fs.statSync(made).uid, account.uid, 'what the notebook writes is the student\'s');
    const log = fs.readFileSync(path.join(stack.prefix, 'logs', 'servers', `${STUDENT}.log`), 'utf8');
    assert.match(log, /Jupyter Notebook|Jupyter Server/, 'the server\'s output goes to its own log file');
  });

  it('a second student gets a separate process with their own identity, from the same fork server', async () => {
    const first = pidOf(stack, STUDENT);
    const second = await start(stack, OTHER);
    assert.notEqual(second, first);
    const [a, b] = [processFacts(first), processFacts(second)];
    assert.equal(a.ppid, b.ppid, 'one fork server forks both');
    assert.notEqual(b.uid, a.uid);
    assert.deepEqual(b.groups, [other.gid], 'their own group only: none of the other student\'s, none of the hub\'s root');
    const answer = await fetch(`${stack.publicUrl}/user/${OTHER}/api/status`, { headers: { Authorization: `token ${await stack.cli(['token', STUDENT])}` }, redirect: 'manual' });
    assert.equal(answer.status, 403, 'one student\'s token does not open the other\'s forked server');
  });

  it('the servers outlive a killed hub and its fork server; the next hub finds them, and a cut-off fork too', async () => {
    const first = pidOf(stack, STUDENT);
    const second = pidOf(stack, OTHER);
    const forkServer = processFacts(first).ppid;
    await stack.killHub('SIGKILL');
    await waitFor(() => !alive(forkServer), 10_000, 'the fork server to exit once the hub is gone');
    assert.ok(alive(first) && alive(second), 'the students\' servers are still running');
    // What a hub killed between the fork and reading the fork server's answer leaves: the launch and the fork.
    const record = JSON.parse(fs.readFileSync(runFileOf(stack, OTHER), 'utf8'));
    fs.writeFileSync(runFileOf(stack, OTHER), JSON.stringify({ user: record.user, serverName: record.serverName, launch: { id: 'cut-off', port: record.state.port }, forked: { pid: second } }));

    await stack.startHub();
    const model = (await stack.api('GET', `/users/${STUDENT}`)).data;
    assert.equal(model.servers[''].ready, true, 'the first is still shown running');
    assert.equal((await fetch(`${stack.publicUrl}/user/${STUDENT}/api`, { redirect: 'manual' })).status, 200, 'and answers through the proxy');
    assert.equal(pidOf(stack, OTHER), second, 'the cut-off fork is found by the pid the fork server wrote down');
    assert.ok(alive(second));
  });

  it('with preload off, servers are exec\'d by the hub as before', async () => {
    await stack.api('DELETE', `/users/${STUDENT}/server`);
    await waitFor(async () => (await stack.api('GET', `/users/${STUDENT}`)).data.servers[''] === undefined, 30_000, 'the server to stop');
    await stack.killHub('SIGTERM');
    stack.writeConfig({ spawner: { local: { preload: false } } });
    await stack.startHub();
    const pid = await start(stack, STUDENT);
    assert.equal(processFacts(pid).ppid, stack.hub!.pid, 'exec\'d by the hub');
    assert.equal(processFacts(pid).uid, account.uid);
  });
});
