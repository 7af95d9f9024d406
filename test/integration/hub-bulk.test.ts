import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Stack } from '../helpers/stack.ts';

const PAGINATED = 'application/jupyterhub-pagination+json';

// Issue 15: bulk requests run in slices with limits (README "Limits"); beyond a limit, a 400 that names it and
// nothing changed. Listings page in SQL: a full walk sees every user exactly once, in order.
describe('bulk requests and listings at scale', () => {
  const stack = new Stack({ config: { log_level: 'warn' } });
  before(() => stack.start());
  after(() => stack.stop());

  async function page(path: string): Promise<{ items: any[]; _pagination: any }> {
    const res = await fetch(`${stack.apiUrl}${path}`, { headers: { Authorization: `token ${stack.adminToken}`, Accept: PAGINATED } });
    assert.equal(res.status, 200, path);
    return res.json() as Promise<any>;
  }
  async function walk(path: string): Promise<string[]> {
    const names: string[] = [];
    let offset = 0;
    for (;;) {
      const sep = path.includes('?') ? '&' : '?';
      const p = await page(`${path}${sep}offset=${offset}&limit=200`);
      names.push(...p.items.map((u) => u.name));
      if (!p._pagination.next) return names;
      offset = p._pagination.next.offset;
    }
  }
  const userTotal = async () => (await page('/users?limit=1'))._pagination.total as number;

  it('creates 1,200 users in one request (several slices) and answers each once', async () => {
    const names = Array.from({ length: 1200 }, (_, i) => `pt-bulk-${String(i).padStart(4, '0')}`);
    const res = await stack.api('POST', '/users', { json: { usernames: [...names, names[0]] } });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.data.map((u: any) => u.name), names);
    assert.deepEqual(res.data[0].groups, []);
    assert.equal(res.data[0].admin, false);
    // Again with one new name: the others exist and are left alone.
    const again = await stack.api('POST', '/users', { json: { usernames: [names[5], 'pt-bulk-new'] } });
    assert.equal(again.status, 201, again.text);
    assert.deepEqual(again.data.map((u: any) => u.name), ['pt-bulk-new']);
    const all = await stack.api('POST', '/users', { json: { usernames: names.slice(0, 3) } });
    assert.equal(all.status, 409);
  });

  it('walks the listing in pages of 200: every user once, in the order asked, filters applied', async () => {
    const byId = await walk('/users');
    assert.equal(byId.length, await userTotal());
    assert.equal(new Set(byId).size, byId.length);
    assert.ok(byId.filter((n) => n.startsWith('pt-bulk-')).length === 1201);
    const byName = await walk('/users?sort=-name');
    assert.deepEqual(byName, [...byId].sort().reverse());
    const filtered = await walk('/users?name_filter=pt-bulk-11');
    assert.deepEqual(filtered, Array.from({ length: 100 }, (_, i) => `pt-bulk-11${String(i).padStart(2, '0')}`));
    assert.equal((await page('/users?name_filter=pt-bulk-11&limit=30'))._pagination.total, 100);
    // Nobody runs a server here.
    assert.equal((await walk('/users?state=active')).length, 0);
    assert.equal((await walk('/users?state=inactive')).length, byId.length);
  });

  it('refuses more than 10,000 names in one POST /users with a 400 naming the limit, creating none', async () => {
    const before = await userTotal();
    const names = Array.from({ length: 10_001 }, (_, i) => `pt-over-${i}`);
    const res = await stack.api('POST', '/users', { json: { usernames: names } });
    assert.equal(res.status, 400, res.text);
    assert.match(res.data.message, /at most 10000/);
    assert.equal(res.data.limit, 10_000);
    assert.equal(await userTotal(), before);
    assert.equal((await stack.api('GET', '/users/pt-over-0')).status, 404);
  });

  it('adds and removes 1,200 group members at once; over the limits a 400 and the group as it was', async () => {
    const members = Array.from({ length: 1200 }, (_, i) => `pt-bulk-${String(i).padStart(4, '0')}`);
    assert.equal((await stack.api('POST', '/groups/pt-bulk-class', { json: {} })).status, 201);
    const added = await stack.api('POST', '/groups/pt-bulk-class/users', { json: { users: members } });
    assert.equal(added.status, 200, added.text);
    assert.deepEqual(added.data.users, members);
    const removed = await stack.api('DELETE', '/groups/pt-bulk-class/users', { json: { users: members.slice(0, 700) } });
    assert.deepEqual(removed.data.users, members.slice(700));

    const tooMany = await stack.api('POST', '/groups/pt-bulk-class/users', { json: { users: Array.from({ length: 10_001 }, () => members[0]) } });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.data.message, /Too many users.*at most 10000/);
    const unknown = await stack.api('POST', '/groups/pt-bulk-class/users', { json: { users: [members[0], 'pt-nobody'] } });
    assert.equal(unknown.status, 400);
    assert.match(unknown.data.message, /No such user: pt-nobody/);
    assert.deepEqual((await stack.api('GET', '/groups/pt-bulk-class')).data.users, members.slice(700), 'the group is as it was');

    // 100 groups × 1,200 users is beyond the 100,000 memberships one request may write.
    const groups = Array.from({ length: 100 }, (_, i) => `pt-bulk-g${i}`);
    const product = await stack.api('POST', '/groups', { json: { groups, users: members } });
    assert.equal(product.status, 400);
    assert.match(product.data.message, /Too many memberships.*at most 100000/);
    assert.equal((await stack.api('GET', '/groups/pt-bulk-g0')).status, 404);
    const fine = await stack.api('POST', '/groups', { json: { groups: groups.slice(0, 3), users: members.slice(0, 10) } });
    assert.equal(fine.status, 201, fine.text);
    assert.deepEqual(fine.data.map((g: any) => [g.name, g.users.length]), [['pt-bulk-g0', 10], ['pt-bulk-g1', 10], ['pt-bulk-g2', 10]]);
    const listed = await page('/groups?limit=2&offset=1');
    assert.equal(listed._pagination.total, 4);
    assert.deepEqual(listed.items.map((g) => g.name), ['pt-bulk-g0', 'pt-bulk-g1']);
    assert.deepEqual(listed.items[0].users, members.slice(0, 10));
  });

  // Answers of GET /users and GET /users/{name} are reused until something changes (src/api/answer-cache.ts): a
  // change through the API, a start under way, or a write by another process must show in the very next answer.
  it('GET /plasma/users (users with their disk use) pages in SQL like GET /users', async () => {
    const total = await userTotal();
    const first = await page('/plasma/users?limit=500');
    assert.equal(first.items.length, 200, 'at most 200 a page');
    assert.equal(first._pagination.total, total);
    assert.equal(first._pagination.next.offset, 200);
    assert.ok('disk' in first.items[0] && 'soft_limit' in first.items[0].disk, JSON.stringify(first.items[0]));
    const filtered = await page('/plasma/users?name_filter=pt-bulk-000&limit=200');
    assert.deepEqual(filtered.items.map((u) => u.name), Array.from({ length: 10 }, (_, i) => `pt-bulk-000${i}`));
    const plain = await stack.api('GET', '/plasma/users?offset=1190&limit=5');
    assert.equal(plain.status, 200);
    assert.ok(Array.isArray(plain.data) && plain.data.length === 5, 'a bare list without the pagination Accept header');
    assert.equal((await stack.api('GET', '/plasma/users?limit=ten')).status, 400);
  });

  it('never answers from a reused copy once something changed', async () => {
    const name = 'pt-bulk-cache';
    assert.equal((await stack.api('POST', `/users/${name}`)).status, 201);
    const get = async (headers: Record<string, string> = {}) => {
      const res = await fetch(`${stack.apiUrl}/users/${name}`, { headers: { Authorization: `token ${stack.adminToken}`, ...headers } });
      assert.equal(res.status, 200);
      return res.json() as Promise<any>;
    };
    const listed = async () => (await page(`/users?name_filter=${name}`)).items[0];
    assert.equal((await get()).admin, false);
    assert.equal((await listed()).admin, false);
    assert.equal((await get()).admin, false); // the reused answer
    assert.equal((await stack.api('PATCH', `/users/${name}`, { json: { admin: true } })).status, 200);
    assert.equal((await get()).admin, true, 'GET /users/{name} after a PATCH');
    assert.equal((await listed()).admin, true, 'the listing after a PATCH');
    // Another process writes the database (the CLI), not this hub: seen at once too.
    await stack.cli(['users', 'add', 'pt-bulk-cache-cli']);
    assert.equal((await page('/users?name_filter=pt-bulk-cache-cli')).items.length, 1, 'a user the CLI added');
    // A group change, then a fresh answer on request: both agree.
    assert.equal((await stack.api('POST', '/groups/pt-bulk-cache-g', { json: { users: [name] } })).status, 201);
    assert.deepEqual((await get()).groups, ['pt-bulk-cache-g']);
    assert.deepEqual((await get({ 'Cache-Control': 'no-cache' })).groups, ['pt-bulk-cache-g']);
    // Deleted: 404, not the last copy.
    assert.equal((await stack.api('DELETE', `/users/${name}`)).status, 204);
    const gone = await fetch(`${stack.apiUrl}/users/${name}`, { headers: { Authorization: `token ${stack.adminToken}` } });
    assert.equal(gone.status, 404);
    assert.equal((await page(`/users?name_filter=${name}`)).items.filter((u) => u.name === name).length, 0);
    // A token deleted elsewhere stops working at once, though its identity was reused a moment ago.
    const token = (await stack.api('POST', `/users/${stack.adminUser}/tokens`, { json: { note: 'cache' } })).data;
    const asToken = () => fetch(`${stack.apiUrl}/users/${stack.adminUser}`, { headers: { Authorization: `token ${token.token}` } });
    assert.equal((await asToken()).status, 200);
    assert.equal((await asToken()).status, 200);
    assert.equal((await stack.api('DELETE', `/users/${stack.adminUser}/tokens/${token.id}`)).status, 204);
    assert.equal((await asToken()).status, 403, 'a deleted token');
  });
  it('a token kept in memory is who it is now: admin flag, groups, expiry, deletion, also when the CLI writes', async () => {
    const name = 'pt-bulk-ident';
    assert.equal((await stack.api('POST', `/users/${name}`)).status, 201);
    const secret = await stack.cli(['token', name]);
    const whoami = async () => {
      const res = await fetch(`${stack.apiUrl}/user`, { headers: { Authorization: `token ${secret}` } });
      return { status: res.status, body: res.status === 200 ? ((await res.json()) as any) : null };
    };
    const first = await whoami();
    assert.equal(first.body.admin, false);
    assert.ok(!first.body.scopes.includes('admin:users'));
    assert.equal((await whoami()).body.admin, false); // answered from the kept identity
    // A new token for someone else and a token of their own do not change who this one is; activity is shown fresh.
    await stack.api('POST', `/users/${stack.adminUser}/tokens`, { json: { note: 'other' } });
    assert.ok(Date.parse((await whoami()).body.last_activity) > Date.now() - 60_000, 'last activity of the token\'s owner');
    // Another process makes them an admin: the next request has admin scopes.
    await stack.cli(['users', 'add', name, '--admin']);
    const promoted = await whoami();
    assert.equal(promoted.body.admin, true, 'admin after the CLI made them one');
    assert.ok(promoted.body.scopes.includes('admin:users'), promoted.body.scopes.join(' '));
    // Through the API back again, and into a group: both seen at once.
    assert.equal((await stack.api('PATCH', `/users/${name}`, { json: { admin: false } })).status, 200);
    assert.ok(!(await whoami()).body.scopes.includes('admin:users'), 'admin scopes gone after the PATCH');
    assert.equal((await stack.api('POST', '/groups/pt-bulk-ident-g', { json: { users: [name] } })).status, 201);
    assert.deepEqual((await whoami()).body.groups, ['pt-bulk-ident-g']);
    // A token that expires stops working when it does, though its identity is kept.
    const short = (await stack.api('POST', `/users/${name}/tokens`, { json: { expires_in: 1 } })).data.token;
    const asShort = () => fetch(`${stack.apiUrl}/user`, { headers: { Authorization: `token ${short}` } });
    assert.equal((await asShort()).status, 200);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await asShort()).status, 403, 'an expired token');
    // The CLI removes the user: their token stops at once.
    await stack.cli(['users', 'remove', name]);
    assert.equal((await whoami()).status, 403, 'the token of a removed user');
  });
});
