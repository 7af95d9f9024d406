import type { Repo, ServerRow, ServersBulkRepo } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import type { ProxyClient, ProxyRoute } from '../proxy/types.ts';
import type { ManagedServer, PollResult, Spawner, SpawnerState } from '../spawner/types.ts';
import type { HubUrls } from './types.ts';
import { clientIdFor, parseState } from './naming.ts';

type RunningServer = ServerRow & { user_name: string };

/** Route writes to the proxy at once: enough to restore 100 routes in a blink, few enough not to swamp it. */
const PROXY_WRITES_AT_ONCE = 10;

export interface ReconcileDeps {
  repo: Repo;
  bulk: ServersBulkRepo;
  spawner: Spawner;
  proxy: ProxyClient;
  urls: HubUrls;
  log: Logger;
  /** Whether this hub is starting or stopping the server right now (then its row is in flux: leave it). */
  busy(serverId: number): boolean;
  /** Forgets what the hub remembers of a server's last start (it was found gone). */
  forget(serverId: number): void;
}

/**
 * Keeps the database and the proxy in line with what really runs, in bulk: one container list (or one pass over the
 * pid files), one `GET /api/routes`, and batched database writes, however many users there are. Start-up
 * reconciliation, the poller, JupyterHub's check_routes, and the quick route watch that restores a restarted
 * proxy's routes all live here.
 */
export class Reconciler {
  private routesBusy: Promise<void> = Promise.resolve();
  private pollBusy: Promise<void> = Promise.resolve();

  constructor(private readonly d: ReconcileDeps) {}

  /** Liveness of many servers: the spawner's bulk form when it has one, else one poll each (a few at a time). */
  private async pollMany(states: SpawnerState[]): Promise<PollResult[]> {
    if (this.d.spawner.pollMany) return this.d.spawner.pollMany(states);
    return mapLimited(states, 10, (s) => this.d.spawner.poll(s));
  }

  /** Marks servers stopped (one transaction per reason) and drops their routes. */
  private async markGone(gone: Array<{ server: RunningServer; reason: string }>, routes = true): Promise<void> {
    if (!gone.length) return;
    const byReason = new Map<string, RunningServer[]>();
    for (const { server, reason } of gone) {
      this.d.log.warn({ user: server.user_name, server: server.name, reason }, 'server is gone; marking it stopped');
      byReason.set(reason, [...(byReason.get(reason) ?? []), server]);
    }
    for (const [reason, servers] of byReason) {
      await this.d.bulk.markStopped(servers.map((s) => ({ id: s.id, clientId: clientIdFor(s.user_name, s.name) })), reason);
    }
    for (const { server } of gone) this.d.forget(server.id);
    if (routes) {
      await mapLimited(gone, PROXY_WRITES_AT_ONCE, ({ server }) => this.d.proxy.deleteRoute(server.base_url).catch(() => undefined));
    }
  }

  /** Polls every running server once (JupyterHub's poll_interval loop), serialised. */
  pollAll(): Promise<void> {
    const run = this.pollBusy.then(() => this.pollAllOnce());
    this.pollBusy = run.catch(() => undefined);
    return run;
  }

  private async pollAllOnce(): Promise<void> {
    const running = (await this.d.repo.serversWithStatus(['running'])).filter((s) => !this.d.busy(s.id));
    if (!running.length) return;
    let results: PollResult[];
    try {
      results = await this.pollMany(running.map((s) => parseState(s.spawner_state) ?? {}));
    } catch (err) {
      // Unknown is not dead: never stop a server because its backend did not answer.
      this.d.log.warn({ err: (err as Error).message }, 'poll failed; servers are left as they are');
      return;
    }
    const gone = running.flatMap((server, i) => {
      const r = results[i];
      return !r.running && !this.d.busy(server.id) ? [{ server, reason: r.reason }] : [];
    });
    await this.markGone(gone);
  }

  /**
   * Start-up reconciliation: half-done starts and stops are undone, servers that died are marked stopped, servers
   * nobody owns are stopped, and the proxy's routes are made to match. One list from the spawner, one from the proxy.
   */
  async reconcile(): Promise<void> {
    const interrupted = await this.d.repo.serversWithStatus(['spawning', 'stopping']);
    await mapLimited(interrupted, 10, async (server) => {
      this.d.log.warn({ user: server.user_name, server: server.name, status: server.status }, 'undoing an interrupted operation');
      const state = parseState(server.spawner_state);
      if (state && Object.keys(state).length) await this.d.spawner.stop(state, { timeoutSeconds: 5 }).catch(() => undefined);
    });
    await this.markGone(interrupted.map((server) => ({
      server, reason: `interrupted by a hub restart while ${server.status === 'spawning' ? 'starting' : 'stopping'}`,
    })), false);

    let managed: ManagedServer[] | null = null;
    try {
      managed = await this.d.spawner.listManaged();
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message }, 'the spawner cannot list its servers now; the poller checks them later');
    }
    if (managed) {
      const byKey = new Map<string, ManagedServer[]>();
      for (const m of managed) byKey.set(`${m.user}/${m.serverName}`, [...(byKey.get(`${m.user}/${m.serverName}`) ?? []), m]);
      const kept = new Set<ManagedServer>();
      const gone: Array<{ server: RunningServer; reason: string }> = [];
      for (const server of await this.d.repo.serversWithStatus(['running'])) {
        const state = parseState(server.spawner_state) ?? {};
        const match = (byKey.get(`${server.user_name}/${server.name}`) ?? []).find((m) => sameServer(m.state, state));
        if (match && match.running !== false) kept.add(match);
        else gone.push({ server, reason: match ? 'the server had stopped while the hub was down' : 'the server was gone when the hub started' });
      }
      await this.markGone(gone, false);
      const undone = interrupted.map((s) => parseState(s.spawner_state) ?? {});
      const orphans = managed.filter((m) => !kept.has(m) && !undone.some((state) => sameServer(m.state, state)));
      await mapLimited(orphans, 10, async (m) => {
        this.d.log.warn({ user: m.user, server: m.serverName }, 'stopping a server no hub record owns');
        await this.d.spawner.stop(m.state, { timeoutSeconds: 5 }).catch((err) => this.d.log.error({ err: err.message }, 'orphan stop failed'));
      });
    }
    await this.checkRoutes();
  }

  /**
   * JupyterHub's check_routes: the hub route, one route per ready server, nothing else hub-owned; with `activity`,
   * the proxy's last_activity is written back too. Serialised, so two checks never race on the same route.
   */
  checkRoutes(options: { activity?: boolean } = {}): Promise<void> {
    const run = this.routesBusy.then(() => this.checkRoutesOnce(options.activity ?? true));
    this.routesBusy = run.catch(() => undefined);
    return run;
  }

  private async checkRoutesOnce(activity: boolean): Promise<void> {
    const routes = await this.d.proxy.getAllRoutes();
    const hubSpec = this.d.urls.baseUrl;
    const hubRoute = routes.get(hubSpec);
    const writes: Array<() => Promise<void>> = [];
    if (!hubRoute || hubRoute.target !== this.d.urls.hubTarget || !hubRoute.data.hub) {
      writes.push(() => this.d.proxy.addRoute(hubSpec, this.d.urls.hubTarget, { hub: true }));
    }
    const wanted = new Set([hubSpec]);
    const seen: Array<{ serverId: number; userId: number; when: string }> = [];
    for (const server of await this.d.repo.serversWithStatus(['running', 'spawning'])) {
      wanted.add(server.base_url);
      if (server.status !== 'running' || !server.target || this.d.busy(server.id)) continue;
      const route = routes.get(server.base_url);
      const when = activityOf(route);
      if (when) seen.push({ serverId: server.id, userId: server.user_id, when });
      if (!route || route.target !== server.target) {
        const { base_url: spec, target, user_name: user, name } = server;
        writes.push(() => this.d.proxy.addRoute(spec, target, { user, server_name: name }));
      }
    }
    for (const spec of routes.keys()) {
      if (!wanted.has(spec)) writes.push(() => this.d.proxy.deleteRoute(spec));
    }
    if (writes.length) this.d.log.info({ changes: writes.length }, 'bringing the proxy\'s routes in line');
    await mapLimited(writes, PROXY_WRITES_AT_ONCE, (w) => w());
    if (activity) await this.d.bulk.bumpActivity(seen);
  }
}

function activityOf(route: ProxyRoute | undefined): string | null {
  const raw = route?.data.last_activity;
  if (typeof raw !== 'string') return null;
  const when = new Date(raw);
  return Number.isNaN(when.getTime()) ? null : when.toISOString();
}

/** Whether the backend's record of a server is the one the hub saved (same container id, same pid …). */
function sameServer(found: SpawnerState, saved: SpawnerState): boolean {
  const keys = Object.keys(found);
  return keys.length > 0 && keys.every((k) => JSON.stringify(found[k]) === JSON.stringify(saved[k]));
}

/** Runs `fn` over `items`, at most `limit` at a time, answers in order; the first error is thrown after all settle. */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { err: unknown }).err;
  return out;
}
