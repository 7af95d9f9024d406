import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { Installation } from '../helpers/installation.ts';
import { addBrokenMigration, breakHubStart, sourceTree } from '../helpers/releases.ts';
import { REPO_ROOT } from '../helpers/stack.ts';

const ADMIN = 'pt-failadmin';

// Issue 13, must-show 2: an upgrade that cannot finish leaves the old release running on the old database.
describe('plasma upgrade that fails, and plasma rollback', () => {
  const inst = new Installation();
  const trees: Array<{ dir: string; cleanup: () => void }> = [];
  let oldRelease = '';

  const tables = () => {
    const db = new SQLite(path.join(inst.prefix, 'state', 'plasma.sqlite'), { readonly: true });
    try {
      return {
        tables: (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name),
        migrations: (db.prepare('SELECT name FROM kysely_migration').all() as Array<{ name: string }>).map((m) => m.name),
        users: db.prepare('SELECT name, admin FROM users ORDER BY name').all(),
      };
    } finally {
      db.close();
    }
  };
  const status = async () => JSON.parse(await inst.cli(['status', '--json'], { installed: true }));

  before(async () => {
    await inst.writeConfig();
    await inst.cli(['install', '--from', REPO_ROOT, '--admin', ADMIN, '--no-docker']);
    inst.adminToken = (await inst.cli(['token', ADMIN], { installed: true })).trim();
    assert.equal((await inst.api('POST', '/users/pt-fail-student')).status, 201);
    oldRelease = (await status()).release.current;
  });

  after(async () => {
    await inst.destroy();
    for (const t of trees) t.cleanup();
  });

  it('a migration that fails leaves the old release running on the old database, and names the migration', async () => {
    const broken = sourceTree('HEAD', addBrokenMigration);
    trees.push(broken);
    const hubPid = inst.pid('hub');
    const before = tables();
    const res = await inst.run(['upgrade', '--from', broken.dir], { installed: true });
    assert.notEqual(res.code, 0, res.out);
    assert.match(res.err, /database migration 999_deliberately_broken failed: this migration fails on purpose/);
    assert.match(res.err, new RegExp(`The old release ${oldRelease} keeps running on the old database`));
    assert.match(res.out, /rolled back: /);
    const after = tables();
    assert.deepEqual(after, before, 'not even the table the broken migration made before failing');
    assert.ok(!after.tables.includes('pt_half_done'));
    const now = await status();
    assert.equal(now.release.current, oldRelease);
    assert.equal(inst.pid('hub'), hubPid, 'the hub was never stopped');
    assert.equal((await inst.api('GET', '/users/pt-fail-student')).status, 200);
  });

  it('a new hub that exits at start is rolled back: the old release on the database from before', async () => {
    const broken = sourceTree('HEAD', breakHubStart);
    trees.push(broken);
    const res = await inst.run(['upgrade', '--from', broken.dir], { installed: true });
    assert.notEqual(res.code, 0, res.out);
    // A successor starts up completely before the old hub stops: a start-up that fails never stops the old hub.
    assert.match(res.err, /the new hub did not start: the hub handover failed: the new process exited \(1\) before it was loaded/);
    assert.match(res.err, /hub handover failed before it began: this hub keeps serving/);
    assert.match(res.err, /this hub cannot start, on purpose/, 'with the reason from its log');
    assert.match(res.err, new RegExp(`Rolled back to ${oldRelease}`));
    const now = await status();
    assert.equal(now.release.current, oldRelease);
    assert.deepEqual(now.services.map((s: any) => [s.name, s.healthy]), [['proxy', true], ['hub', true]]);
    assert.equal((await inst.api('GET', '/users/pt-fail-student')).status, 200, 'the old hub serves, and old tokens work');
  });

  it('plasma rollback undoes a good upgrade', async () => {
    const next = sourceTree('HEAD', (dir) => {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, version: '0.1.1-test' }, null, 2));
    });
    trees.push(next);
    const up = JSON.parse(await inst.cli(['upgrade', '--from', next.dir, '--json'], { installed: true }));
    assert.equal(up.outcome, 'upgraded');
    assert.match(up.to, /^0\.1\.1-test-/);
    assert.match(await inst.cli(['--version'], { installed: true }), /^0\.1\.1-test$/m);
    const out = await inst.cli(['rollback'], { installed: true });
    assert.match(out, new RegExp(`rolled back from ${up.to} to ${oldRelease}`));
    const now = await status();
    assert.equal(now.release.current, oldRelease);
    assert.ok(now.services.every((s: any) => s.healthy && s.release.endsWith(oldRelease)), JSON.stringify(now.services));
    const again = await inst.run(['rollback'], { installed: true });
    assert.match(again.err, /there is no upgrade to roll back/);
  });
});
