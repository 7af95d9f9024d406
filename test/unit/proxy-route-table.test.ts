import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeRoutePath, RouteTable } from '../../src/proxy/route-table.ts';

describe('proxy route table', () => {
  it('normalises keys: leading slash, no trailing slash except the root', () => {
    assert.equal(normalizeRoutePath('user/alice/'), '/user/alice');
    assert.equal(normalizeRoutePath('/user/alice//'), '/user/alice');
    assert.equal(normalizeRoutePath('/'), '/');
    assert.equal(normalizeRoutePath(''), '/');
  });

  it('matches the longest prefix on whole segments only', () => {
    const t = new RouteTable();
    t.set('/', 'http://127.0.0.1:1', { hub: true });
    t.set('/user/alice', 'http://127.0.0.1:2', {});
    t.set('/user/alice/course', 'http://127.0.0.1:3', {});
    const target = (p: string) => t.match(p)?.target;
    assert.equal(target('/user/alice'), 'http://127.0.0.1:2');
    assert.equal(target('/user/alice/'), 'http://127.0.0.1:2');
    assert.equal(target('/user/alice/tree/x.ipynb'), 'http://127.0.0.1:2');
    assert.equal(target('/user/alice/course/lab'), 'http://127.0.0.1:3');
    assert.equal(target('/user/alice/coursework'), 'http://127.0.0.1:2', 'a longer name is not the same segment');
    assert.equal(target('/user/alicex/tree'), 'http://127.0.0.1:1', 'falls back to /, never to /user/alice');
    assert.equal(target('/hub/login'), 'http://127.0.0.1:1');
  });

  it('has no match without a root route', () => {
    const t = new RouteTable();
    t.set('/user/bob', 'http://127.0.0.1:2', {});
    assert.equal(t.match('/user/bobby'), undefined);
    assert.equal(t.match('/'), undefined);
    assert.equal(t.match('/user/bob/x')?.path, '/user/bob');
  });

  it('keeps data verbatim and serialises routes as CHP does', () => {
    const t = new RouteTable();
    const at = Date.parse('2026-01-02T03:04:05.678Z');
    t.set('/user/alice', 'http://127.0.0.1:2', { user: 'alice', server_name: '', jupyterhub: true, nested: { a: [1, 2] } }, at);
    const listed = JSON.parse(t.toJson());
    assert.deepEqual(listed, {
      '/user/alice': { user: 'alice', server_name: '', jupyterhub: true, nested: { a: [1, 2] }, target: 'http://127.0.0.1:2', last_activity: '2026-01-02T03:04:05.678Z' },
    });
    const route = t.get('/user/alice/')!;
    t.touch(route, at + 1000);
    assert.equal(JSON.parse(t.entryJson(route)).last_activity, '2026-01-02T03:04:06.678Z', 'activity changes are seen');
    assert.equal(JSON.parse(t.toJson())['/user/alice'].last_activity, '2026-01-02T03:04:06.678Z', 'the cached listing too');
    t.set('/user/bob', 'http://127.0.0.1:3', {}, at);
    assert.deepEqual(Object.keys(JSON.parse(t.listingBody().toString())), ['/user/alice', '/user/bob'], 'and it sees new routes');
  });

  it('filters by inactive_since (strictly earlier activity)', () => {
    const t = new RouteTable();
    t.set('/a', 'http://127.0.0.1:1', {}, 1000);
    t.set('/b', 'http://127.0.0.1:1', {}, 2000);
    t.set('/c', 'http://127.0.0.1:1', {}, 3000);
    assert.deepEqual(Object.keys(JSON.parse(t.toJson(2000))), ['/a']);
    assert.deepEqual(Object.keys(JSON.parse(t.toJson(3001))), ['/a', '/b', '/c']);
  });

  it('replaces a route on re-set, and counts changes for persistence', () => {
    const t = new RouteTable();
    const v0 = t.version;
    t.set('/x', 'http://127.0.0.1:1', {});
    t.set('/x/', 'http://127.0.0.1:2', {});
    assert.equal(t.size, 1);
    assert.equal(t.match('/x/y')?.target, 'http://127.0.0.1:2');
    assert.equal(t.delete('/x'), true);
    assert.equal(t.delete('/x'), false);
    assert.equal(t.version, v0 + 3, 'a failed delete is not a change');
  });

  it('rejects a target that is not a URL', () => {
    assert.throws(() => new RouteTable().set('/x', 'not a url', {}));
  });

  it('finds routes among 20,000 by depth, not by count', () => {
    const t = new RouteTable();
    for (let i = 0; i < 10_000; i++) {
      t.set(`/user/u${i}`, `http://127.0.0.1:${10_000 + i}`, { user: `u${i}` });
      t.set(`/user/u${i}/named`, `http://127.0.0.1:${30_000 + i}`, {});
    }
    for (const i of [0, 1, 10, 999, 5000, 9999]) {
      assert.equal(t.match(`/user/u${i}/api/kernels/abc/channels`)?.target, `http://127.0.0.1:${10_000 + i}`);
      assert.equal(t.match(`/user/u${i}/named/lab`)?.target, `http://127.0.0.1:${30_000 + i}`);
    }
    assert.equal(t.match('/user/u10000/x'), undefined);
    assert.equal(Object.keys(JSON.parse(t.toJson())).length, 20_000);
  });
});
