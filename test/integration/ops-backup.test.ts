import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { dockerOk } from '../helpers/docker.ts';
import { addEnvironment } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { Installation } from '../helpers/installation.ts';
import { REPO_ROOT } from '../helpers/stack.ts';
import { createSystemUser, removeSystemUser } from '../helpers/system-users.ts';

const ADMIN = 'pt-bakadmin';
const STUDENT = 'pt-bakstud';
const PREFIX = 'plasma-test/bak-';

// Issue 13, must-show 3: backup, wipe the state, restore: everything comes back; restic brings a deleted notebook back.
describe('plasma backup and restore', () => {
  const repos = new GitServer();
  const resticRepo = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-restic-'));
  let home = '';
  const inst = new Installation({
    spawner: { type: 'local' },
    environments: { build_network: 'host', image_prefix: PREFIX, local_roots: [repos.root] },
    backup: { user_data: { repo: resticRepo } },
  });
  let studentToken = '';
  let backupFile = '';

  /** What the API says of the hub's state, as an admin reads it; tokens' last use is left out (reading changes it). */
  async function snapshot() {
    const get = async (p: string) => (await inst.api('GET', p)).data;
    const tokens = (await get(`/users/${STUDENT}/tokens`)).api_tokens.map(({ last_activity: _l, ...t }: any) => t);
    const db = new SQLite(path.join(inst.prefix, 'state', 'plasma.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT name, admin, created, last_login, cookie_id FROM users ORDER BY name').all();
    db.close();
    return {
      users: await get('/users?include_stopped_servers=1'), groups: await get('/groups'), tokens, rows,
      // Only this test's (tljh-repo2docker images other tests make on this Docker host are listed by every hub).
      environments: (await get('/plasma/environments')).filter((e: any) => e.image.startsWith(PREFIX)).map(({ build: _b, ...e }: any) => e),
      permissions: (await get('/plasma/permissions')).permissions,
    };
  }

  before(async () => {
    repos.commit('lab', { 'lab.md': '# lab\n' });
    home = createSystemUser(STUDENT, 'Backup-student-1!').home;
    await inst.writeConfig();
    // The homes restic snapshots: this student's only.
    const config = fs.readFileSync(path.join(inst.prefix, 'config', 'config.yaml'), 'utf8');
    fs.writeFileSync(path.join(inst.prefix, 'config', 'config.yaml'), config.replace(`repo: ${resticRepo}`, `repo: ${resticRepo}\n    paths: [${home}]`));
    await inst.cli(['install', '--from', REPO_ROOT, '--admin', ADMIN, '--no-docker']);
    inst.adminToken = (await inst.cli(['token', ADMIN], { installed: true })).trim();
    assert.equal((await inst.api('POST', '/users', { json: { usernames: [STUDENT, 'pt-bak2'] } })).status, 201);
    assert.equal((await inst.api('POST', '/groups/pt-bakgroup', { json: { users: [STUDENT, 'pt-bak2'] } })).status, 201);
    studentToken = (await inst.api('POST', `/users/${STUDENT}/tokens`, { json: { note: 'for the course', expires_in: 86400 } })).data.token;
    await addEnvironment(inst, { repo: repos.path('lab'), display_name: 'Lab' });
    assert.equal((await inst.api('POST', '/plasma/environments/lab/groups', { json: { groups: ['pt-bakgroup'] } })).status, 200);
    const start = await inst.api('POST', '/users/pt-bak2/server');
    assert.ok([201, 202].includes(start.status), start.text);
    const progress = await fetch(`${inst.apiUrl}/users/pt-bak2/server/progress`, { headers: { Authorization: `token ${inst.adminToken}` } });
    assert.match(await progress.text(), /"ready":true/);
  });

  after(async () => {
    await inst.api('DELETE', '/users/pt-bak2/server').catch(() => undefined);
    await inst.destroy();
    dockerOk('rmi', '-f', `${PREFIX}lab:HEAD`);
    removeSystemUser(STUDENT);
    await repos.stop();
    fs.rmSync(resticRepo, { recursive: true, force: true });
  });

  it('backup, wipe the state, restore: users, groups, tokens, servers, permissions and environments come back', async () => {
    const before = await snapshot();
    const made = JSON.parse(await inst.cli(['backup', '--json'], { installed: true }));
    backupFile = made.file;
    assert.deepEqual([made.manifest.counts.users, made.manifest.environments.filter((e: any) => e.image.startsWith(PREFIX)).map((e: any) => e.name)], [3, ['lab']]);

    // The disk holding the state is lost (a hub started now would stop the servers it does not know).
    await inst.cli(['stop', 'hub'], { installed: true });
    fs.rmSync(path.join(inst.prefix, 'state'), { recursive: true, force: true });
    fs.rmSync(path.join(inst.prefix, 'config'), { recursive: true, force: true });
    const out = await inst.cli(['restore', backupFile, '--yes'], { installed: true });
    assert.match(out, /restored state\/plasma\.sqlite, config\/config\.yaml, state\/hub-secret, state\/proxy-token/);
    await inst.cli(['start', 'hub'], { installed: true });
    const after = await snapshot();
    for (const key of Object.keys(before) as Array<keyof typeof before>) assert.deepEqual(after[key], before[key], `${key} came back as they were`);
    assert.equal((await inst.api('GET', '/user', { token: studentToken })).data.name, STUDENT, 'a token made before the backup works');
    assert.equal(after.users.find((u: any) => u.name === 'pt-bak2').servers[''].ready, true, 'the server that kept running is the hub\'s again');
  });

  it('refuses what is not a backup, and a backup from a newer Plasma, changing nothing', async () => {
    const junk = path.join(inst.prefix, 'cache', 'junk.tar.gz');
    fs.writeFileSync(junk, 'not a backup');
    const bad = await inst.run(['restore', junk, '--yes'], { installed: true });
    assert.match(bad.err, /is not a Plasma backup/);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-newer-'));
    execFileSync('tar', ['-xzf', backupFile, '-C', work]);
    const manifest = JSON.parse(fs.readFileSync(path.join(work, 'manifest.json'), 'utf8'));
    fs.writeFileSync(path.join(work, 'manifest.json'), JSON.stringify({ ...manifest, plasma_version: '9.0.0', migrations: [...manifest.migrations, '042_from_the_future'] }));
    const newer = path.join(work, 'newer.tar.gz');
    execFileSync('tar', ['-czf', newer, '-C', work, 'manifest.json', 'state', 'config']);
    const refused = await inst.run(['restore', newer, '--yes'], { installed: true });
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /comes from a newer Plasma \(9\.0\.0\): its database has migration 042_from_the_future/);
    fs.rmSync(work, { recursive: true, force: true });
    assert.equal((await inst.api('GET', '/user', { token: studentToken })).status, 200, 'nothing changed');
  });

  it('restic snapshots the homes, a deleted notebook comes back, and verify compares a restore with the live files', async () => {
    const notebook = path.join(home, 'Lab', 'week1.ipynb');
    fs.mkdirSync(path.dirname(notebook), { recursive: true });
    fs.writeFileSync(notebook, JSON.stringify({ cells: [{ cell_type: 'markdown', source: ['my answers'] }] }));
    const out = await inst.cli(['backup', '--user-data'], { installed: true });
    assert.match(out, /snapshot [0-9a-f]+: \d+ new, 0 changed/);
    fs.rmSync(notebook);
    await inst.cli(['backup', 'restore-path', notebook], { installed: true });
    assert.match(fs.readFileSync(notebook, 'utf8'), /my answers/, 'the deleted notebook is back');
    const verified = JSON.parse(await inst.cli(['backup', 'verify', '--json'], { installed: true }));
    assert.equal(verified.ok, true);
    assert.ok(verified.files_identical >= 1, JSON.stringify(verified));
    // A second snapshot is incremental: nothing new (the restored file counts as changed: restic sees a new inode).
    assert.match(await inst.cli(['backup', '--user-data'], { installed: true }), /snapshot [0-9a-f]+: 0 new, [01] changed, \d+ unchanged files; 0\.0 MB added/);
    const status = JSON.parse(await inst.cli(['status', '--json'], { installed: true }));
    assert.equal(status.backup.user_data_repo, resticRepo);
    assert.ok(status.backup.last && status.backup.age_hours < 1, 'status shows the last backup');
  });
});
