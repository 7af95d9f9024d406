import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { Browser } from '../helpers/browser.ts';
import { docker, dockerOk } from '../helpers/docker.ts';
import { RealJupyterHub } from '../helpers/jupyterhub.ts';
import { Stack } from '../helpers/stack.ts';

const USERS = Array.from({ length: 20 }, (_, i) => `pt-imp${i}`);
const ADMINS = ['pt-imp0', 'pt-imp7'];
const TLJH_IMAGE = 'plasma-test/imp-tljh:HEAD';
const PASSWORD = 'jupyterhub-dummy-pw';

/** JupyterHub writes microseconds, Plasma milliseconds: compared at the millisecond. */
const ms = (t: string | null) => (t ? new Date(t).toISOString() : null);

// Issue 13, must-show 4: the state of a real JupyterHub 3.0 (as TLJH keeps it) imported into Plasma.
describe('plasma import --from-tljh', () => {
  const tljh = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-tljh-'));
  const stack = new Stack({ config: { spawner: { type: 'docker', docker: { network: 'host' } } } });
  let jh: RealJupyterHub;
  let jhUsers: any[] = [];
  let jhToken = '';
  let scopedToken = '';

  before(async () => {
    jh = new RealJupyterHub({ proxy: 'self', proxyPort: await freeLoopbackPort(), apiPort: await freeLoopbackPort(), proxyToken: 'pt-import-proxy-token-0123456789', password: PASSWORD });
    await jh.start();
    try {
      assert.equal((await jh.api('POST', '/users', { usernames: USERS.filter((u) => !ADMINS.includes(u)) })).status, 201);
      assert.equal((await jh.api('POST', '/users', { usernames: ADMINS, admin: true })).status, 201);
      assert.equal((await jh.api('POST', '/groups/pt-imp-g1', { users: USERS.slice(0, 10) })).status, 201);
      assert.equal((await jh.api('POST', '/groups/pt-imp-g2', { users: USERS.slice(5, 15) })).status, 201);
      jhToken = (await jh.api('POST', '/users/pt-imp3/tokens', { note: 'made in JupyterHub', expires_in: 86400 })).json.token;
      scopedToken = (await jh.api('POST', '/users/pt-imp4/tokens', { note: 'read only', scopes: ['read:users!user=pt-imp4'] })).json.token;
      // Some users log in: JupyterHub records their activity.
      for (const u of USERS.slice(0, 6)) {
        const browser = new Browser(jh.publicUrl);
        const form = await browser.go('/hub/login');
        const xsrf = /name="_xsrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
        await browser.go('/hub/login', { form: { username: u, password: PASSWORD, _xsrf: xsrf } });
      }
      jhUsers = (await jh.api('GET', '/users')).json;
    } finally {
      fs.mkdirSync(path.join(tljh, 'state'), { recursive: true });
      fs.copyFileSync(path.join(jh.dir, 'jupyterhub.sqlite'), path.join(tljh, 'state', 'jupyterhub.sqlite'));
      await jh.stop();
    }
    // An image tljh-repo2docker built, and tljh-plasma's permissions for it (and for one that is gone).
    const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-tljh-img-'));
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM plasma/base:latest\n');
    docker('build', '-q', '-t', TLJH_IMAGE, '--label', `tljh_repo2docker.image_name=${TLJH_IMAGE}`, '--label', 'repo2docker.ref=HEAD',
      '--label', 'repo2docker.repo=https://example.invalid/course', '--label', 'tljh_repo2docker.display_name=Old course', ctx);
    fs.rmSync(ctx, { recursive: true, force: true });
    const perms = new SQLite(path.join(tljh, 'state', 'tljh_plasma.sqlite'));
    perms.exec('CREATE TABLE permissions (id INTEGER PRIMARY KEY AUTOINCREMENT, "group" VARCHAR(255), image VARCHAR(255))');
    perms.prepare('INSERT INTO permissions ("group", image) VALUES (?, ?), (?, ?)').run('pt-imp-g1', TLJH_IMAGE, 'pt-imp-g2', 'plasma-test/imp-gone:HEAD');
    perms.close();
    fs.mkdirSync(path.join(tljh, 'config'));
    fs.writeFileSync(path.join(tljh, 'config', 'config.yaml'), YAML.stringify({
      users: { admin: ['pt-imp0'] }, limits: { memory: '1G', cpu: 1 }, plasma: { groups: ['pt-imp-g1', 'pt-imp-g2'] }, https: { enabled: false },
    }));
    await stack.start();
  });

  after(async () => {
    await stack.stop();
    dockerOk('rmi', '-f', TLJH_IMAGE);
    fs.rmSync(tljh, { recursive: true, force: true });
  });

  it('a dry run says what it would import and changes nothing', async () => {
    const report = JSON.parse(await stack.cli(['import', '--from-tljh', tljh, '--dry-run', '--json']));
    assert.equal(report.dry_run, true);
    assert.equal(report.users.length, 20);
    assert.equal((await stack.api('GET', '/users/pt-imp3')).status, 404, 'no user was made');
  });

  it('users, admin flags, groups and last logins match; tokens made in JupyterHub work against Plasma', async () => {
    const report = JSON.parse(await stack.cli(['import', '--from-tljh', tljh, '--json']));
    assert.deepEqual(report.users.sort(), [...USERS].sort());
    assert.deepEqual(report.admins.sort(), [...ADMINS].sort());
    assert.deepEqual(report.groups, ['pt-imp-g1', 'pt-imp-g2']);
    assert.equal(report.tokens, 2);
    assert.deepEqual(report.permissions, [{ environment: 'imp-tljh', group: 'pt-imp-g1' }]);
    assert.ok(report.skipped.some((s: any) => /permission pt-imp-g2 → plasma-test\/imp-gone:HEAD/.test(s.what) && /no such environment/.test(s.why)));
    assert.ok(report.skipped.some((s: any) => /service token/.test(s.what)), 'JupyterHub\'s service token is named as not imported');
    assert.ok(report.skipped.some((s: any) => s.what === 'tljh-config https.enabled'));
    assert.deepEqual(report.config.sort(), ['limits.cpu → spawner.docker.cpu_limit', 'limits.memory → spawner.docker.memory_limit',
      'plasma.groups → environments.groups', 'users.admin → auth.admin_users'].sort());

    const after = (await stack.api('GET', '/users')).data.filter((u: any) => u.name.startsWith('pt-imp'));
    const view = (list: any[]) => list.map((u) => ({ name: u.name, admin: u.admin, groups: [...u.groups].sort(), last_activity: ms(u.last_activity), created: ms(u.created) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(view(after), view(jhUsers));
    assert.ok(jhUsers.filter((u) => u.last_activity).length >= 6, 'some users had logged in');
    const db = new SQLite(path.join(stack.prefix, 'state', 'plasma.sqlite'), { readonly: true });
    const logins = db.prepare('SELECT name, last_login FROM users WHERE name LIKE ? ORDER BY name').all('pt-imp%') as Array<{ name: string; last_login: string | null }>;
    db.close();
    for (const u of jhUsers) assert.equal(ms(logins.find((l) => l.name === u.name)!.last_login), ms(u.last_activity), `${u.name}'s last login`);

    const me = await stack.api('GET', '/user', { token: jhToken });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.data.name, 'pt-imp3');
    const scoped = await stack.api('GET', '/users/pt-imp4', { token: scopedToken });
    assert.equal(scoped.data.name, 'pt-imp4');
    assert.equal((await stack.api('GET', '/users/pt-imp5', { token: scopedToken })).status, 404, 'its scopes came along');
    const envs = (await stack.api('GET', '/plasma/environments')).data;
    assert.deepEqual(envs.find((e: any) => e.name === 'imp-tljh')?.groups, ['pt-imp-g1']);
    const config = YAML.parse(fs.readFileSync(path.join(stack.prefix, 'config', 'config.yaml'), 'utf8'));
    assert.deepEqual([config.environments.groups, config.spawner.docker.memory_limit, config.spawner.docker.cpu_limit], [['pt-imp-g1', 'pt-imp-g2'], '1G', 1]);
  });

  it('run again, it imports nothing twice; a folder that is not TLJH is refused', async () => {
    const again = JSON.parse(await stack.cli(['import', '--from-tljh', tljh, '--json']));
    assert.deepEqual([again.users, again.tokens], [[], 0]);
    assert.ok(again.skipped.filter((s: any) => /a Plasma user of that name exists/.test(s.why)).length === 20);
    await assert.rejects(stack.cli(['import', '--from-tljh', os.tmpdir()]), /holds no jupyterhub\.sqlite/);
  });
});
