import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { after, describe, it } from 'node:test';
import { hashSecret, MIGRATIONS, openDatabase } from '../../src/db/index.ts';
import { Stack } from '../helpers/stack.ts';

// Issue 2, item 5: a database made by an earlier release upgrades with nothing lost, after a backup.
describe('database migrations', () => {
  const stack = new Stack();
  after(() => stack.stop());

  it('there is more than one migration, so an upgrade path exists to test', () => {
    assert.ok(Object.keys(MIGRATIONS).length >= 2);
  });

  it('a level-001 database with users, groups and a token is upgraded by the hub, backed up first', async () => {
    const stateDir = path.join(stack.prefix, 'state');
    const file = path.join(stateDir, 'plasma.sqlite');
    const old = await openDatabase({ file, backupsDir: path.join(stateDir, 'backups'), migrateTo: '001_initial' });
    assert.deepEqual(old.applied, ['001_initial']);
    const now = new Date().toISOString();
    const token = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const db = old.db;
    await db.insertInto('users').values([
      { name: 'pt-old1', admin: 0, created: now, cookie_id: 'c1', password_hash: null, auth_state: null, last_activity: now } as any,
      { name: 'pt-old2', admin: 1, created: now, cookie_id: 'c2', password_hash: null, auth_state: null, last_activity: null } as any,
    ]).execute();
    await db.insertInto('groups').values({ name: 'pt-class', system: 0 }).execute();
    await db.insertInto('user_groups').values({ user_id: 1, group_id: 1 }).execute();
    await db.insertInto('api_tokens').values({
      user_id: 1, prefix: token.slice(0, 4), hashed: hashSecret(token), client_id: 'jupyterhub', session_id: null, note: 'old',
      scopes: '["inherit"]', roles: '[]', server_id: null, created: now, expires_at: null, last_activity: null,
    }).execute();
    await old.close();
    const tablesBefore = new SQLite(file, { readonly: true }).prepare("select name from sqlite_master where type='table'").all() as Array<{ name: string }>;
    assert.ok(!tablesBefore.some((t) => t.name === 'sessions'), 'the old level has no sessions table');

    await stack.start();

    const backups = fs.readdirSync(path.join(stateDir, 'backups'));
    assert.equal(backups.length, 1, `backups: ${backups}`);
    assert.match(backups[0], /before-002_sessions_and_logins\.sqlite$/);
    const backup = new SQLite(path.join(stateDir, 'backups', backups[0]), { readonly: true });
    assert.equal((backup.prepare('select count(*) as n from users').get() as { n: number }).n, 2, 'the backup holds the old data');
    backup.close();

    const u1 = await stack.api('GET', '/users/pt-old1');
    assert.equal(u1.status, 200);
    assert.deepEqual(u1.data.groups, ['pt-class']);
    assert.equal(u1.data.last_activity !== null, true);
    assert.equal((await stack.api('GET', '/users/pt-old2')).data.admin, true);
    const me = await stack.api('GET', '/user', { token });
    assert.equal(me.status, 200, 'a token issued before the upgrade still works');
    assert.equal(me.data.name, 'pt-old1');

    const sqlite = new SQLite(file, { readonly: true });
    const applied = (sqlite.prepare('select name from kysely_migration order by name').all() as Array<{ name: string }>).map((r) => r.name);
    assert.deepEqual(applied, Object.keys(MIGRATIONS).sort());
    assert.equal(sqlite.pragma('journal_mode', { simple: true }), 'wal');
    sqlite.close();
  });

  it('a second start with nothing to migrate writes no new backup', async () => {
    await stack.killHub('SIGTERM');
    await stack.startHub();
    assert.equal(fs.readdirSync(path.join(stack.prefix, 'state', 'backups')).length, 1);
  });

  it('a failing migration changes nothing: every pending migration runs in one transaction', async () => {
    const dir = fs.mkdtempSync(path.join(stack.prefix, 'tx-'));
    const file = path.join(dir, 'tx.sqlite');
    const first = await openDatabase({ file, backupsDir: dir });
    await first.db.insertInto('groups').values({ name: 'pt-kept', system: 0 }).execute();
    await first.close();
    const broken = {
      ...MIGRATIONS,
      '900_adds_a_table': { up: async (db: any) => { await db.schema.createTable('pt_new').addColumn('x', 'text').execute(); } },
      '901_breaks': { up: async (db: any) => { await db.deleteFrom('groups').execute(); throw new Error('deliberately broken'); } },
    };
    await assert.rejects(openDatabase({ file, backupsDir: dir, migrations: broken }), /database migration 901_breaks failed: deliberately broken/);
    const sqlite = new SQLite(file, { readonly: true });
    const tables = (sqlite.prepare("select name from sqlite_master where type='table'").all() as Array<{ name: string }>).map((t) => t.name);
    assert.ok(!tables.includes('pt_new'), 'the migration before the broken one was rolled back too');
    assert.deepEqual(sqlite.prepare('select name from groups').all(), [{ name: 'pt-kept' }], 'and the broken one\'s changes');
    assert.ok(!(sqlite.prepare('select name from kysely_migration').all() as Array<{ name: string }>).some((m) => m.name.startsWith('90')));
    sqlite.close();
  });
});
