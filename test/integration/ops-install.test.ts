import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { docker, dockerOk } from '../helpers/docker.ts';
import { Installation } from '../helpers/installation.ts';
import { REPO_ROOT } from '../helpers/stack.ts';
import { createSystemUser, removeSystemUser } from '../helpers/system-users.ts';

const ADMIN = 'pt-opsadmin';
const STUDENT = 'pt-opsstud';
const IMAGE = 'plasma-test/ops-keep:HEAD';

// Issue 13, must-show 5: plasma install on a fresh prefix, then again (nothing changes); uninstall keeps homes and images.
describe('plasma install and uninstall', () => {
  const inst = new Installation({ environments: { image_prefix: 'plasma-test/ops-' } });
  let home = '';

  after(async () => {
    await inst.destroy();
    removeSystemUser(STUDENT);
    dockerOk('rmi', '-f', IMAGE);
  });

  it('installs on a fresh prefix: folders, config, secrets, the release, the first admin, running services', async () => {
    await inst.writeConfig();
    const out = await inst.cli(['install', '--from', REPO_ROOT, '--admin', ADMIN, '--no-docker']);
    for (const change of ['created ', 'generated ', 'installed release 0.1.0-', 'app/current → ', `created the admin ${ADMIN}`, 'started the proxy', 'started the hub']) {
      assert.ok(out.includes(change), `"${change}" in:\n${out}`);
    }
    const password = /password \(shown once\): (\S+)/.exec(out)![1];
    const login = await fetch(`${inst.publicUrl}/hub/login`);
    assert.equal(login.status, 200, 'the hub answers through the proxy');
    inst.adminToken = (await inst.cli(['token', ADMIN])).trim();
    assert.equal((await inst.api('GET', '/user')).data.admin, true);
    assert.ok(password.length >= 16);
    assert.ok(fs.existsSync(path.join(inst.prefix, 'app', 'current', 'dist', 'plasma.mjs')), 'the release runs the built code');
    assert.ok(!fs.existsSync(path.join(inst.prefix, 'app', 'current', 'src')), 'not the sources');
    assert.equal(fs.statSync(path.join(inst.prefix, 'state')).mode & 0o777, 0o700);
  });

  it('a second run changes nothing and says so', async () => {
    const hubPid = inst.pid('hub');
    const out = await inst.cli(['install', '--from', REPO_ROOT, '--admin', ADMIN, '--no-docker']);
    assert.match(out, /nothing to change: this installation is as it should be/);
    assert.equal(inst.pid('hub'), hubPid, 'the hub was not restarted');
  });

  it('status --json reports the release, healthy services, users and the disk', async () => {
    const status = JSON.parse(await inst.cli(['status', '--json']));
    assert.match(status.release.current, /^0\.1\.0-[0-9a-f]{10}$/);
    assert.deepEqual(status.services.map((s: any) => [s.name, s.running, s.healthy]), [['proxy', true, true], ['hub', true, true]]);
    assert.equal(status.users, 1);
    assert.ok(status.disk[0].free_bytes > 0);
    assert.match(await inst.cli(['status']), /^hub\s+running, pid \d+, healthy$/m);
  });

  it('bad input changes nothing: an unwritable prefix, a tarball that is not a release, a bad admin name', async () => {
    const notRelease = path.join(inst.prefix, 'cache', 'not-a-release.tgz');
    fs.writeFileSync(notRelease, 'not a tarball');
    const res = await inst.run(['upgrade', '--from', notRelease], { installed: true });
    assert.notEqual(res.code, 0);
    assert.match(res.err, /is not a gzipped tarball/);
    const bad = await inst.run(['install', '--from', REPO_ROOT, '--admin', '../root', '--no-docker']);
    assert.match(bad.err, /--admin: .*must not contain path separators/);
    const unwritable = await inst.run(['install', '--from', REPO_ROOT, '--no-docker'], { prefix: '/proc/pt-plasma' });
    assert.notEqual(unwritable.code, 0);
    assert.match(unwritable.err, /\/proc\/pt-plasma is not writable/);
    assert.match(await inst.cli(['install', '--from', REPO_ROOT, '--admin', ADMIN, '--no-docker']), /nothing to change/, 'and nothing changed');
  });

  it('uninstall removes the services and the software, and keeps the state, the homes and the images', async () => {
    home = createSystemUser(STUDENT, 'Ops-student-1!').home;
    fs.mkdirSync(path.join(home, 'Course'));
    fs.writeFileSync(path.join(home, 'Course', 'work.ipynb'), '{"cells": []}');
    docker('tag', 'plasma/base:latest', IMAGE);
    const out = await inst.cli(['uninstall']);
    assert.match(out, /stopped the hub/);
    assert.match(out, /removed the software/);
    assert.equal(inst.pid('hub'), null);
    assert.equal(inst.pid('proxy'), null);
    assert.ok(!fs.existsSync(path.join(inst.prefix, 'app')));
    assert.ok(fs.existsSync(path.join(inst.prefix, 'state', 'plasma.sqlite')), 'the state is kept');
    assert.equal(fs.readFileSync(path.join(home, 'Course', 'work.ipynb'), 'utf8'), '{"cells": []}', 'homes are kept');
    assert.equal(dockerOk('image', 'inspect', IMAGE).code, 0, 'images are kept');

    // Installing again picks the state up: the admin is still there.
    const again = await inst.cli(['install', '--from', REPO_ROOT, '--admin', ADMIN, '--no-docker']);
    assert.doesNotMatch(again, /created the admin/);
    assert.equal((await inst.api('GET', '/user')).data.name, ADMIN, 'the old token still works');
  });

  it('uninstall --purge needs --yes, then removes the prefix but never a home', async () => {
    const refused = await inst.run(['uninstall', '--purge']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /add --yes to confirm/);
    assert.ok(fs.existsSync(path.join(inst.prefix, 'state', 'plasma.sqlite')), 'nothing was removed');
    const out = await inst.cli(['uninstall', '--purge', '--yes']);
    assert.match(out, /removed .* \(state, config, backups\)/);
    assert.ok(!fs.existsSync(inst.prefix));
    assert.ok(fs.existsSync(path.join(home, 'Course', 'work.ipynb')), 'homes are never removed');
  });
});
