import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, Repo, USER_SORTS, type OpenedDatabase, type UserRow, type UserSort, type UserState } from '../../src/db/index.ts';

/**
 * The listing pages run in SQL (issue 15): the same answers as filtering and sorting every user in memory, as
 * the hub did before, and plans that walk an index instead of sorting the whole table.
 */
describe('users and groups pages in SQL', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-listing-'));
  let opened: OpenedDatabase;
  let repo: Repo;
  let all: UserRow[];
  const groupsOf = new Map<number, string[]>();
  const serverOf = new Map<number, { id: number; status: string }>();

  before(async () => {
    opened = await openDatabase({ file: path.join(dir, 'state.sqlite'), backupsDir: path.join(dir, 'backups') });
    repo = new Repo(opened.db);
    const names = ['bob', 'alice', 'al', 'alfred', 'zed', 'a.b', 'a_c', 'ab', 'carol', 'dave', 'erin', 'al-x'];
    for (const [i, name] of names.entries()) {
      const u = await repo.createUser(name, i === 0);
      // Some never active, several share a time (ties break by id).
      const when = i % 4 === 0 ? null : `2026-01-0${(i % 3) + 1}T00:00:00.000Z`;
      if (when) await repo.bumpUserActivity(u.id, when);
    }
    const red = await repo.createGroup('red');
    const blue = await repo.createGroup('blue');
    all = await repo.listUsers();
    await repo.addMembers(red.id, [all[1].id, all[3].id, all[5].id]);
    await repo.addMembers(blue.id, [all[3].id, all[8].id]);
    for (const u of all) groupsOf.set(u.id, await repo.groupsOf(u.id));
    const statuses = ['running', 'spawning', 'stopped', 'stopping', 'running'];
    for (const [i, u] of all.slice(0, 5).entries()) {
      const s = await repo.upsertServer(u.id, '', `/user/${u.name}/`);
      await repo.updateServer(s.id, { status: statuses[i] as never });
      serverOf.set(u.id, { id: s.id, status: statuses[i] });
    }
  });
  after(async () => {
    await opened.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** What the hub computed before: every user in memory, filtered, sorted, sliced. */
  function reference(q: { nameFilter?: string; sort: UserSort; state?: UserState; pending: number[]; visible?: { names: string[]; groups: string[] } }) {
    const desc = q.sort.startsWith('-');
    const key = (desc ? q.sort.slice(1) : q.sort) as 'id' | 'name' | 'last_activity';
    const rows = all.filter((u) => {
      if (q.nameFilter && !u.name.startsWith(q.nameFilter)) return false;
      if (q.visible && !q.visible.names.includes(u.name) && !groupsOf.get(u.id)!.some((g) => q.visible!.groups.includes(g))) return false;
      const s = serverOf.get(u.id);
      const pending = !!s && q.pending.includes(s.id);
      const active = !!s && (s.status === 'running' || s.status === 'spawning' || pending);
      if (q.state === 'active') return active;
      if (q.state === 'inactive') return !active;
      if (q.state === 'ready') return !!s && s.status === 'running' && !pending;
      return true;
    });
    return rows.sort((a, b) => {
      const va = a[key], vb = b[key];
      if (va === vb) return a.id - b.id;
      if (va === null) return desc ? 1 : -1;
      if (vb === null) return desc ? -1 : 1;
      return (va < vb ? -1 : 1) * (desc ? -1 : 1);
    }).map((u) => u.name);
  }

  it('gives the same pages as filtering every user in memory, for every sort, filter and state', async () => {
    const pendings = [[], [serverOf.get(all[2].id)!.id, serverOf.get(all[4].id)!.id]];
    let compared = 0;
    for (const sort of USER_SORTS) {
      for (const nameFilter of [undefined, 'a', 'al', 'a.', 'a_', 'zz', 'al-']) {
        for (const state of [undefined, 'active', 'inactive', 'ready'] as const) {
          for (const pending of pendings) {
            for (const visible of [undefined, { names: ['zed', 'al'], groups: ['red'] }, { names: [], groups: [] }]) {
              const expected = reference({ nameFilter, sort, state, pending, visible });
              for (const [offset, limit] of [[0, 200], [0, 3], [2, 3], [expected.length, 5]]) {
                const { rows, total } = await repo.usersPage({ nameFilter, sort, state, offset, limit, visible, pendingServerIds: pending, withTotal: true });
                const what = JSON.stringify({ sort, nameFilter, state, pending, visible, offset, limit });
                assert.deepEqual(rows.map((r) => r.name), expected.slice(offset, offset + limit), what);
                assert.equal(total, expected.length, what);
                compared++;
              }
            }
          }
        }
      }
    }
    assert.ok(compared > 1000);
  });

  it('takes the name filter literally: _ and % are not wildcards', async () => {
    assert.deepEqual((await repo.usersPage({ nameFilter: 'a_', offset: 0, limit: 50 })).rows.map((r) => r.name), ['a_c']);
    assert.deepEqual((await repo.usersPage({ nameFilter: '%', offset: 0, limit: 50 })).rows, []);
  });

  it('walks an index for every sort instead of sorting the table', async () => {
    for (const sort of USER_SORTS) {
      const order = { id: 'users.id', name: 'users.name', last_activity: 'users.last_activity' }[sort.replace('-', '') as 'id'];
      const dir = sort.startsWith('-') ? 'DESC' : 'ASC';
      const tie = sort.endsWith('last_activity') ? ', users.id ASC' : '';
      const plan = await sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT users.* FROM users ORDER BY ${sql.raw(`${order} ${dir}${tie}`)} LIMIT 200 OFFSET 9800`.execute(opened.db);
      const details = plan.rows.map((r) => r.detail).join('; ');
      assert.doesNotMatch(details, /TEMP B-TREE/, `${sort}: ${details}`);
    }
  });

  it('pages groups with their members in one query', async () => {
    const first = await repo.groupsPage({ offset: 0, limit: 1, withTotal: true });
    assert.deepEqual(first.rows.map((g) => g.name), ['red']);
    assert.equal(first.total, 2);
    const members = await repo.membersOfGroups([first.rows[0].id]);
    assert.deepEqual(members.get(first.rows[0].id), [all[1].name, all[3].name, all[5].name]);
    const scoped = await repo.groupsPage({ offset: 0, limit: 10, names: ['blue', 'nope'], withTotal: true });
    assert.deepEqual(scoped.rows.map((g) => g.name), ['blue']);
    assert.equal(scoped.total, 1);
  });
});
