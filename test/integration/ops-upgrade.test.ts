import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { Browser } from '../helpers/browser.ts';
import { docker, dockerOk, removeUserContainers } from '../helpers/docker.ts';
import { addEnvironment } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { Installation } from '../helpers/installation.ts';
import { previousReleaseCommit, sourceTree } from '../helpers/releases.ts';
import { REPO_ROOT } from '../helpers/stack.ts';
import { createSystemUser, removeSystemGroup, removeSystemUser } from '../helpers/system-users.ts';

const GROUP = 'pt-upgclass';
const USERS = ['pt-upg1', 'pt-upg2', 'pt-upg3'];
const ADMIN = 'pt-upgadmin';
const PASSWORD = 'Upgrade-student-1!';
const PREFIX = 'plasma-test/upg-';

/** Every file of the environment folders, hashed, leaving out what a running server rewrites by itself. */
function homeHashes(homes: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (['.local', '.ipython', '.jupyter', '.cache'].includes(entry.name)) continue;
        walk(full);
      } else if (entry.isFile()) out[full] = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    }
  };
  homes.forEach(walk);
  return out;
}

/** A kernel's websocket kept open across the upgrade; `run` executes code and resolves with what it printed. */
async function openKernel(base: string, token: string) {
  const res = await fetch(`${base}api/kernels`, { method: 'POST', headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' }, body: '{"name":"python3"}' });
  const body = await res.text();
  assert.equal(res.status, 201, body);
  const { id } = JSON.parse(body) as { id: string };
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}api/kernels/${id}/channels`, { headers: { Authorization: `token ${token}` } });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const run = (code: string) => new Promise<string>((resolve, reject) => {
    const msgId = crypto.randomUUID();
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no reply to ${code}`)), 30_000);
    const onMessage = (raw: WebSocket.RawData) => {
      const msg = JSON.parse(raw.toString());
      if (msg.parent_header?.msg_id !== msgId) return;
      if (msg.msg_type === 'stream') out += msg.content.text;
      if (msg.msg_type === 'status' && msg.content.execution_state === 'idle') {
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(out);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({
      header: { msg_id: msgId, username: '', session: crypto.randomUUID(), msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
      parent_header: {}, metadata: {}, channel: 'shell', content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false },
    }));
  });
  return { ws, run };
}

// Issue 13, must-show 1: a live upgrade from the previous commit's release to this checkout, with students at work.
describe('plasma upgrade, live', () => {
  const repos = new GitServer();
  const inst = new Installation({
    auth: { type: 'pam', admin_users: [ADMIN] },
    spawner: { type: 'docker', docker: { network: 'host', stop_timeout: 1 } },
    environments: { build_network: 'host', image_prefix: PREFIX, local_roots: [repos.root], groups: [GROUP] },
  });
  const previous = sourceTree(previousReleaseCommit());
  const tokens: Record<string, string> = {};
  const homes: string[] = [];

  before(async () => {
    repos.commit('lab', { 'lab.ipynb': JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }) });
    for (const u of USERS) homes.push(createSystemUser(u, PASSWORD, [GROUP]).home);
    await inst.writeConfig();
    await inst.cli(['install', '--from', previous.dir, '--no-docker']);
    inst.adminToken = (await inst.cli(['token', ADMIN], { installed: true })).trim();
    await addEnvironment(inst, { repo: repos.path('lab'), display_name: 'Lab' });
    for (const u of USERS) {
      assert.equal((await new Browser(inst.publicUrl).login(u, PASSWORD)).status, 200, `${u} logs in`);
      tokens[u] = (await inst.cli(['token', u], { installed: true })).trim();
    }
    assert.equal((await inst.api('POST', '/plasma/environments/lab/groups', { json: { groups: [GROUP] } })).status, 200);
    for (const u of USERS) {
      const res = await inst.api('POST', `/users/${u}/server`, { json: { environment: 'lab' }, token: tokens[u] });
      assert.ok([201, 202].includes(res.status), res.text);
    }
    for (const u of USERS) {
      const progress = await fetch(`${inst.apiUrl}/users/${u}/server/progress`, { headers: { Authorization: `token ${tokens[u]}` } });
      assert.match(await progress.text(), /"ready":true/, `${u}'s server is ready`);
    }
  });

  after(async () => {
    await inst.destroy();
    removeUserContainers(USERS);
    dockerOk('rmi', '-f', `${PREFIX}lab:HEAD`);
    for (const u of USERS) removeSystemUser(u);
    removeSystemGroup(GROUP);
    previous.cleanup();
    await repos.stop();
  });

  it('keeps every request to the servers answered and an open kernel websocket working, changing no container, image or file', async () => {
    const oldRelease = JSON.parse(await inst.cli(['status', '--json'], { installed: true })).release.current;
    const containers = USERS.map((u) => docker('inspect', '-f', '{{.Id}} {{.Image}}', `jupyter-${u}`));
    const images = docker('images', '-q', '--no-trunc', '--filter', `label=plasma.environment.name=lab`);
    const files = homeHashes(homes.map((h) => path.join(h, 'Lab')));
    assert.ok(Object.keys(files).some((f) => f.endsWith('lab.ipynb')), 'the environment folders hold the notebook');
    const rows = () => {
      const db = new SQLite(path.join(inst.prefix, 'state', 'plasma.sqlite'), { readonly: true });
      try {
        return db.prepare('SELECT name, admin, last_login, created FROM users ORDER BY name').all();
      } finally {
        db.close();
      }
    };
    const usersBefore = rows();
    const kernel = await openKernel(`${inst.publicUrl}/user/${USERS[0]}/`, tokens[USERS[0]]);
    assert.equal((await kernel.run('print(6 * 7)')).trim(), '42');

    let running = true;
    const counts = Object.fromEntries(USERS.map((u) => [u, { ok: 0, failed: [] as string[] }]));
    const loops = USERS.map(async (u) => {
      while (running) {
        try {
          const res = await fetch(`${inst.publicUrl}/user/${u}/api/status`, { headers: { Authorization: `token ${tokens[u]}` }, signal: AbortSignal.timeout(10_000) });
          await res.arrayBuffer();
          if (res.status === 200) counts[u].ok++;
          else counts[u].failed.push(`HTTP ${res.status}`);
        } catch (err) {
          counts[u].failed.push((err as Error).message);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    const upgraded = await inst.run(['upgrade', '--from', REPO_ROOT, '--json'], { installed: true });
    await new Promise((r) => setTimeout(r, 1000));
    running = false;
    await Promise.all(loops);
    assert.equal(upgraded.code, 0, `${upgraded.err}\n${upgraded.out}`);
    const report = JSON.parse(upgraded.out);
    assert.equal(report.outcome, 'upgraded');
    assert.equal(report.from, oldRelease);
    assert.notEqual(report.to, oldRelease, 'a different release');

    for (const u of USERS) assert.deepEqual(counts[u].failed, [], `${u}: ${counts[u].ok} answered`);
    assert.ok(USERS.every((u) => counts[u].ok > 20), JSON.stringify(Object.fromEntries(USERS.map((u) => [u, counts[u].ok]))));
    assert.equal((await kernel.run('print("still here")')).trim(), 'still here', 'the websocket opened before the upgrade still gets replies');
    kernel.ws.close();

    assert.deepEqual(USERS.map((u) => docker('inspect', '-f', '{{.Id}} {{.Image}}', `jupyter-${u}`)), containers, 'the same containers serve');
    assert.equal(docker('images', '-q', '--no-trunc', '--filter', `label=plasma.environment.name=lab`), images, 'the images are untouched');
    assert.deepEqual(homeHashes(homes.map((h) => path.join(h, 'Lab'))), files, 'the home folders are byte for byte the same');
    assert.deepEqual(rows(), usersBefore, 'every user, admin flag and last login is in the database');
    assert.ok(fs.existsSync(report.backup), 'a backup was taken');
    const status = JSON.parse(await inst.cli(['status', '--json'], { installed: true }));
    assert.equal(status.release.current, report.to);
    assert.ok(status.services.every((s: any) => s.healthy && s.release?.endsWith(report.to)), JSON.stringify(status.services));
    assert.equal((await inst.api('GET', `/users/${USERS[1]}`)).data.servers['']?.ready, true, 'the new hub sees the servers running');
  });
});
