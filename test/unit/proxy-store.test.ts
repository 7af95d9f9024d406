import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../src/log/index.ts';
import { RouteTable } from '../../src/proxy/route-table.ts';
import { RouteStore } from '../../src/proxy/store.ts';

const log = createLogger('proxy-store-test', 'error');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-proxy-store-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('proxy route store', () => {
  it('writes once after a burst of changes, and a new table reads every route back', async () => {
    const file = path.join(dir, 'state', 'routes.json');
    const table = new RouteTable();
    const store = new RouteStore(file, table, log, { delayMs: 50, activityEveryMs: 0 });
    for (let i = 0; i < 500; i++) {
      table.set(`/user/u${i}`, `http://127.0.0.1:${20_000 + i}`, { user: `u${i}`, jupyterhub: true }, 1_000_000 + i);
      store.changed();
    }
    assert.equal(fs.existsSync(file), false, 'nothing is written on the request path');
    await sleep(200);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['routes.json'], 'no temp file left behind');

    const again = new RouteTable();
    assert.equal(new RouteStore(file, again, log, { activityEveryMs: 0 }).load(), 500);
    assert.equal(again.match('/user/u42/tree')?.target, 'http://127.0.0.1:20042');
    assert.deepEqual(again.get('/user/u42')?.data, { user: 'u42', jupyterhub: true });
    assert.equal(again.get('/user/u42')?.lastActivity, 1_000_042);
    await store.close();
  });

  it('writes a burst of changes once it settles, and a long one at the latest maxDelayMs after it began', async () => {
    const file = path.join(dir, 'burst.json');
    const table = new RouteTable();
    const store = new RouteStore(file, table, log, { delayMs: 100, maxDelayMs: 600, activityEveryMs: 0 });
    const burst = async (ms: number, from: number) => {
      const end = Date.now() + ms;
      for (let i = from; Date.now() < end; i++) {
        table.set(`/b${i}`, 'http://127.0.0.1:1', {});
        store.changed();
        await sleep(5);
      }
    };
    await burst(300, 0);
    assert.equal(fs.existsSync(file), false, 'not written while changes keep coming');
    await sleep(250);
    assert.equal(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8'))).length, table.size, 'written once they stop');
    fs.rmSync(file);
    await burst(1000, 100_000);
    assert.ok(fs.existsSync(file), 'a burst longer than maxDelayMs is written while it lasts');
    await store.close();
  });

  it('writes the same JSON as a plain JSON.stringify of the saved routes', async () => {
    const file = path.join(dir, 'format.json');
    const table = new RouteTable();
    const store = new RouteStore(file, table, log, { activityEveryMs: 0 });
    table.set('/', 'http://127.0.0.1:1', { hub: true }, 1);
    table.set('/user/zoë "q"', 'https://[::1]:8443/base', { user: 'zoë', nested: { a: [1, null, 'x\n'] }, server_name: '' }, 1_700_000_000_123);
    await store.save();
    table.get('/')!.lastActivity = 2;
    table.set('/later', 'http://127.0.0.1:2', {}, 3);
    await store.close();
    const expected: Record<string, unknown> = {};
    for (const r of table.entries()) expected[r.path] = { target: r.target, data: r.data, last_activity: r.lastActivity };
    assert.equal(fs.readFileSync(file, 'utf8'), JSON.stringify(expected));
  });

  it('writes deletions and activity on close', async () => {
    const file = path.join(dir, 'close.json');
    const table = new RouteTable();
    const store = new RouteStore(file, table, log, { delayMs: 10_000, activityEveryMs: 0 });
    table.set('/a', 'http://127.0.0.1:1', {}, 5);
    table.set('/b', 'http://127.0.0.1:2', {}, 5);
    store.changed();
    await store.save();
    table.delete('/a');
    table.get('/b')!.lastActivity = 1_700_000_000_000;
    await store.close();
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(saved), ['/b']);
    assert.equal(saved['/b'].last_activity, 1_700_000_000_000);
  });

  it('persists traffic-only activity periodically', async () => {
    const file = path.join(dir, 'activity.json');
    const table = new RouteTable();
    const store = new RouteStore(file, table, log, { delayMs: 10, activityEveryMs: 50 });
    table.set('/a', 'http://127.0.0.1:1', {}, 5);
    await store.save();
    table.get('/a')!.lastActivity = Date.now() + 1; // traffic moves activity without a version change
    await sleep(250);
    assert.ok(JSON.parse(fs.readFileSync(file, 'utf8'))['/a'].last_activity > 5);
    await store.close();
  });

  it('starts empty from a missing or corrupt file, and skips bad entries', () => {
    const table = new RouteTable();
    assert.equal(new RouteStore(path.join(dir, 'missing.json'), table, log, { activityEveryMs: 0 }).load(), 0);
    const corrupt = path.join(dir, 'corrupt.json');
    fs.writeFileSync(corrupt, '{"/a": {"target": "http://127.0.0.1:1"');
    assert.equal(new RouteStore(corrupt, table, log, { activityEveryMs: 0 }).load(), 0);
    const mixed = path.join(dir, 'mixed.json');
    fs.writeFileSync(mixed, JSON.stringify({ '/ok': { target: 'http://127.0.0.1:1', data: {}, last_activity: 1 }, '/bad': { target: 'nope', data: {} } }));
    assert.equal(new RouteStore(mixed, table, log, { activityEveryMs: 0 }).load(), 1);
    assert.equal(table.get('/ok')?.target, 'http://127.0.0.1:1');
  });
});
