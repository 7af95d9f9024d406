import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.ts';
import { nowIso, openDatabase, Repo, type OpenedDatabase } from '../../src/db/index.ts';
import { createLogger } from '../../src/log/index.ts';
import type { ProxyClient, ProxyRoute } from '../../src/proxy/types.ts';
import { ServerManager } from '../../src/servers/index.ts';
import type { ManagedServer, PollResult, Spawner, SpawnerState } from '../../src/spawner/types.ts';

const USERS = 10_000;
const RUNNING = 100;

/** A spawner backend that counts how often it is asked: the point is that start-up asks once, not once per server. */
class CountingSpawner implements Spawner {
  readonly kind = 'counting';
  calls = { poll: 0, pollMany: 0, listManaged: 0, stop: [] as SpawnerState[] };
  constructor(public managed: ManagedServer[]) {}
  async start(): Promise<never> { throw new Error('not in this test'); }
  async poll(): Promise<PollResult> { this.calls.poll++; return { running: true }; }
  async pollMany(states: SpawnerState[]): Promise<PollResult[]> {
    this.calls.pollMany++;
    const live = new Set(this.managed.map((m) => m.state.id));
    return states.map((s) => (live.has(s.id) ? { running: true } : { running: false, reason: 'gone' }));
  }
  async stop(state: SpawnerState): Promise<void> { this.calls.stop.push(state); }
  async listManaged(): Promise<ManagedServer[]> { this.calls.listManaged++; return this.managed; }
}

/** The proxy's routes API, in memory, counting requests. */
class CountingProxy implements ProxyClient {
  routes = new Map<string, ProxyRoute>();
  calls = { get: 0, add: 0, delete: 0 };
  async addRoute(routespec: string, target: string, data: Record<string, unknown>) { this.calls.add++; this.routes.set(routespec, { routespec, target, data }); }
  async deleteRoute(routespec: string) { this.calls.delete++; this.routes.delete(routespec); }
  async getAllRoutes() { this.calls.get++; return new Map(this.routes); }
}

describe('start-up reconciliation at 10,000 users and 100 running servers', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-reconcile-'));
  let opened: OpenedDatabase;
  let repo: Repo;
  const urls = { baseUrl: '/', hubTarget: 'http://127.0.0.1:1', apiUrl: 'http://127.0.0.1:1/hub/api' };
  const config = parseConfig({});
  const log = createLogger('test', 'error');

  before(async () => {
    opened = await openDatabase({ file: path.join(dir, 'plasma.sqlite'), backupsDir: path.join(dir, 'backups') });
    repo = new Repo(opened.db);
    const now = nowIso();
    for (let i = 0; i < USERS; i += 1000) {
      await opened.db.insertInto('users').values(Array.from({ length: 1000 }, (_, j) => ({
        name: `u${i + j}`, admin: 0, created: now, last_activity: null, last_login: null, cookie_id: `c${i + j}`, password_hash: null, auth_state: null,
      }))).execute();
    }
    // 100 servers the database says run; 2 more half-started when the old hub died.
    for (let i = 0; i < RUNNING + 2; i++) {
      const user = (await repo.findUser(`u${i}`))!;
      const server = await repo.upsertServer(user.id, '', `/user/u${i}/`);
      await repo.updateServer(server.id, {
        status: i < RUNNING ? 'running' : 'spawning', target: `http://127.0.0.1:${20000 + i}`, spawner_state: JSON.stringify({ id: `c-${i}` }),
      });
      await repo.insertToken({ userId: user.id, token: `server-token-${i}`, note: 'server', roles: ['server'], scopes: [], serverId: server.id });
    }
  });
  after(async () => {
    await opened.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('asks the spawner and the proxy once each, and leaves every record true', async () => {
    // Docker has 97 of the 100 (3 died while the hub was down), one container nobody owns, and the half-started one.
    const managed: ManagedServer[] = Array.from({ length: RUNNING - 3 }, (_, i) => ({ user: `u${i + 3}`, serverName: '', state: { id: `c-${i + 3}` }, running: true }));
    managed.push({ user: 'u5000', serverName: '', state: { id: 'c-orphan' }, running: true });
    managed.push({ user: `u${RUNNING}`, serverName: '', state: { id: `c-${RUNNING}` }, running: true });
    const spawner = new CountingSpawner(managed);
    const proxy = new CountingProxy();
    // The proxy restarted too: it has one stale route to a dead server and nothing else.
    proxy.routes.set('/user/u0/', { routespec: '/user/u0/', target: 'http://127.0.0.1:20000', data: {} });
    const servers = new ServerManager(repo, spawner, proxy, config, urls, log);

    await servers.reconcile();

    assert.equal(spawner.calls.listManaged, 1, 'one list of what runs');
    assert.equal(spawner.calls.poll, 0, 'no poll per server');
    assert.equal(proxy.calls.get, 1, 'one GET /api/routes');
    assert.deepEqual(spawner.calls.stop.map((s) => s.id).sort(), ['c-100', 'c-101', 'c-orphan'],
      'the half-started servers and the orphan are stopped');
    const running = await repo.serversWithStatus(['running']);
    assert.deepEqual(running.map((s) => s.user_name).sort(), managed.slice(0, RUNNING - 3).map((m) => m.user).sort(), 'only what runs is shown running');
    assert.deepEqual((await repo.serversWithStatus(['spawning', 'stopping'])).length, 0, 'nothing is left half-done');
    assert.deepEqual([...proxy.routes.keys()].sort(), ['/', ...running.map((s) => s.base_url)].sort(), 'a route for the hub and each running server, none to a dead one');
    const tokens = await opened.db.selectFrom('api_tokens').select('server_id').where('server_id', 'is not', null).execute();
    assert.equal(tokens.length, RUNNING - 3, 'the dead servers\' credentials are gone');

    // The periodic poll is one bulk look too; a server that died since is marked stopped and loses its route.
    spawner.managed = spawner.managed.filter((m) => m.state.id !== 'c-10');
    await servers.pollAll();
    assert.deepEqual([spawner.calls.pollMany, spawner.calls.poll], [1, 0]);
    assert.equal((await repo.findServer((await repo.findUser('u10'))!.id, ''))!.status, 'stopped');
    assert.ok(!proxy.routes.has('/user/u10/'));

    // The route watch finds a restarted proxy empty and puts every route back; when nothing changed, it only reads.
    proxy.routes.clear();
    const before = { ...proxy.calls };
    await servers.checkRoutes();
    assert.equal(proxy.routes.size, RUNNING - 4 + 1);
    await servers.checkRoutes();
    assert.deepEqual([proxy.calls.get - before.get, proxy.calls.add - before.add, proxy.calls.delete - before.delete], [2, RUNNING - 4 + 1, 0]);
  });
});
