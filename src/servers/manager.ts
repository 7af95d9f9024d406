import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { PlasmaConfig } from '../config/index.ts';
import { hashSecret, nowIso, type Repo, type ServerRow, type UserRow } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import type { ProxyClient } from '../proxy/types.ts';
import { SpawnError, type ProgressEvent, type SpawnEnvironment, type Spawner, type SpawnerState } from '../spawner/types.ts';

import type { EnvironmentResolver, HubUrls, ServerEvent, ServerObserver } from './types.ts';
import { ServerError } from './types.ts';

interface Operation {
  kind: 'spawn' | 'stop';
  events: ServerEvent[];
  emitter: EventEmitter;
  done: Promise<void>;
  /** Ends a pending spawn early (a user's Cancel). */
  abort?: AbortController;
}

/** Python's urllib quote with safe='': what JupyterHub uses in OAuth client ids. */
function quoteAll(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * Owns the life of user servers: JupyterHub's User.spawn/stop, the poller and the start-up
 * reconciliation. Everything it knows is in the database or asked of the spawner and the proxy.
 */
export class ServerManager {
  private readonly ops = new Map<number, Operation>();
  /** Last finished spawn's events, so a progress stream opened just after still sees the outcome. */
  private readonly lastOutcome = new Map<number, ServerEvent>();
  private timers: NodeJS.Timeout[] = [];
  private routesBusy: Promise<void> = Promise.resolve();
  observer: ServerObserver | null = null;

  constructor(
    private readonly repo: Repo,
    private readonly spawner: Spawner,
    private readonly proxy: ProxyClient,
    private readonly config: PlasmaConfig,
    private readonly urls: HubUrls,
    private readonly log: Logger,
    private readonly environments?: EnvironmentResolver,
  ) {}

  prefixFor(userName: string, serverName: string): string {
    return `${this.urls.baseUrl}user/${userName}/${serverName ? `${serverName}/` : ''}`;
  }

  clientIdFor(userName: string, serverName: string): string {
    return `jupyterhub-user-${quoteAll(userName)}${serverName ? `-${quoteAll(serverName)}` : ''}`;
  }

  pendingOf(serverId: number): 'spawn' | 'stop' | null {
    return this.ops.get(serverId)?.kind ?? null;
  }

  /** Starts a server; resolves once it is ready or after `waitMs`, whichever comes first. */
  async start(user: UserRow, serverName: string, userOptions: Record<string, unknown>, waitMs = 10_000): Promise<'ready' | 'pending'> {
    const prefix = this.prefixFor(user.name, serverName);
    // Every check before the row is made: a refused start leaves no new server behind.
    const existing = await this.repo.findServer(user.id, serverName);
    const pending = existing ? this.pendingOf(existing.id) : null;
    if (pending === 'spawn') return 'pending';
    if (pending === 'stop') throw new ServerError(`${user.name}'s server${serverName ? ` ${serverName}` : ''} is pending stop, please wait`, 400);
    if (existing?.status === 'running') throw new ServerError(`${user.name}'s server${serverName ? ` ${serverName}` : ''} is already running`, 400);
    if (serverName && this.config.spawner.named_servers.limit_per_user > 0) {
      const active = (await this.repo.serversOf(user.id)).filter((s) => s.name && s.status !== 'stopped' && s.id !== existing?.id);
      const limit = this.config.spawner.named_servers.limit_per_user;
      if (active.length >= limit) {
        throw new ServerError(`${user.name} already has the maximum of ${limit} named server${limit === 1 ? '' : 's'} running; stop one first`, 400);
      }
    }
    let resolved: Awaited<ReturnType<EnvironmentResolver['resolve']>> = { userOptions };
    if (this.environments) {
      try {
        resolved = await this.environments.resolve(user, userOptions);
      } catch (err) {
        const status = (err as { status?: number }).status;
        if (typeof status === 'number') throw new ServerError((err as Error).message, status);
        throw err;
      }
    }
    const server = await this.repo.upsertServer(user.id, serverName, prefix);
    if (this.pendingOf(server.id)) return 'pending';
    if (server.status === 'running') throw new ServerError(`${user.name}'s server${serverName ? ` ${serverName}` : ''} is already running`, 400);
    const abort = new AbortController();
    const op = this.beginOp(server.id, 'spawn', () => this.runSpawn(user, server, resolved.userOptions, abort, resolved.environment));
    op.abort = abort;
    const outcome = await Promise.race([op.done.then(() => 'settled' as const), delay(waitMs).then(() => 'waiting' as const)]);
    if (outcome === 'waiting') return 'pending';
    const last = this.lastOutcome.get(server.id);
    if (last?.failed) {
      const err = new ServerError(last.message.replace(/^Spawn failed: /, ''), Number((last as { status?: number }).status) || 500);
      throw err;
    }
    return 'ready';
  }

  /**
   * Stops a server; resolves 'stopped' when done within `waitMs`, else 'pending'. A pending spawn is cancelled
   * (JupyterHub 3 answers 400 there; a Cancel button needs this).
   */
  async stop(user: UserRow, serverName: string, options: { remove?: boolean; waitMs?: number; reason?: string } = {}): Promise<'stopped' | 'pending'> {
    const server = await this.repo.findServer(user.id, serverName);
    if (!server) return 'stopped';
    const pending = this.pendingOf(server.id);
    if (pending === 'spawn') {
      const op = this.ops.get(server.id)!;
      op.abort?.abort(new SpawnError('the start was cancelled', 400));
      this.log.info({ user: user.name, server: serverName }, 'spawn cancelled');
      return Promise.race([op.done.then(() => 'stopped' as const), delay(options.waitMs ?? 10_000).then(() => 'pending' as const)]);
    }
    if (pending === 'stop') return 'pending';
    if (server.status === 'stopped') {
      if (options.remove && serverName) await this.repo.deleteServer(server.id);
      return 'stopped';
    }
    const op = this.beginOp(server.id, 'stop', async () => {
      await this.runStop(user, server, options.reason ?? 'stopped on request');
      if (options.remove && serverName) await this.repo.deleteServer(server.id);
    });
    const outcome = await Promise.race([op.done.then(() => 'stopped' as const), delay(options.waitMs ?? 10_000).then(() => 'pending' as const)]);
    return outcome;
  }

  /** Progress events so far and a subscription to the rest, or null when no spawn is pending or done. */
  progress(server: ServerRow): { events: ServerEvent[]; subscribe?: (fn: (e: ServerEvent) => void) => () => void } | null {
    const op = this.ops.get(server.id);
    if (op?.kind === 'spawn') {
      return {
        events: [...op.events],
        subscribe: (fn) => {
          op.emitter.on('event', fn);
          return () => op.emitter.off('event', fn);
        },
      };
    }
    if (server.status === 'running') return { events: [this.readyEvent(server.base_url)] };
    const last = this.lastOutcome.get(server.id);
    if (last?.failed) return { events: [last] };
    return null;
  }

  private readyEvent(url: string): ServerEvent {
    return {
      progress: 100, ready: true, message: `Server ready at ${url}`,
      html_message: `Server ready at <a href="${url}">${url}</a>`, url,
    };
  }

  private beginOp(serverId: number, kind: Operation['kind'], body: () => Promise<void>): Operation {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    const op: Operation = { kind, events: [], emitter, done: Promise.resolve() };
    this.ops.set(serverId, op);
    op.done = body()
      .catch((err) => this.log.error({ err, serverId }, `${kind} failed unexpectedly`))
      .finally(() => {
        this.ops.delete(serverId);
        emitter.emit('end');
      });
    return op;
  }

  private emit(serverId: number, event: ServerEvent): void {
    const op = this.ops.get(serverId);
    if (!op) return;
    op.events.push(event);
    op.emitter.emit('event', event);
  }

  private async runSpawn(
    user: UserRow, server: ServerRow, userOptions: Record<string, unknown>, abort: AbortController, environment?: SpawnEnvironment,
  ): Promise<void> {
    const serverId = server.id;
    const prefix = server.base_url;
    const clientId = this.clientIdFor(user.name, server.name);
    const began = Date.now();
    let state: SpawnerState | null = null;
    this.lastOutcome.delete(serverId);
    await this.repo.updateServer(serverId, {
      status: 'spawning', user_options: JSON.stringify(userOptions), started: null, target: null,
      last_error: null, spawner_kind: this.spawner.kind,
    });
    this.emit(serverId, { progress: 0, message: 'Server requested' });
    try {
      const apiToken = crypto.randomBytes(16).toString('hex');
      await this.repo.deleteClient(clientId);
      await this.repo.db.deleteFrom('api_tokens').where('server_id', '=', serverId).execute();
      await this.repo.insertToken({
        userId: user.id, token: apiToken, note: `Server at ${prefix}`, roles: ['server'], scopes: [], serverId,
      });
      const accessScopes = [`access:servers!server=${user.name}/${server.name}`, `access:servers!user=${user.name}`];
      await this.repo.putClient({
        identifier: clientId, secret_hash: hashSecret(apiToken), redirect_uri: `${prefix}oauth_callback`,
        allowed_scopes: JSON.stringify([...accessScopes].sort()), description: `Server at ${prefix}`, server_id: serverId,
      });
      const env = this.environment(user, server.name, prefix, apiToken, clientId, accessScopes);
      const groups = await this.repo.groupsOf(user.id);
      const timeoutMs = this.config.spawner.start_timeout * 1000;
      const timer = setTimeout(() => abort.abort(new SpawnError(`the server did not start within ${this.config.spawner.start_timeout} s`, 500)), timeoutMs);
      if (abort.signal.aborted) throw abort.signal.reason;
      let started;
      try {
        this.emit(serverId, { progress: 10, message: 'Starting the server' });
        started = await Promise.race([
          this.spawner.start({
            user: { name: user.name, admin: !!user.admin, groups },
            serverName: server.name, prefix, env, userOptions, environment, previousState: parseJson(server.spawner_state),
            recordState: (s) => {
              state = s;
              void this.repo.updateServer(serverId, { spawner_state: JSON.stringify(s) });
            },
            progress: (e) => this.emit(serverId, e),
            signal: abort.signal,
          }),
          new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason))),
        ]);
        state = started.state;
        await this.repo.updateServer(serverId, { spawner_state: JSON.stringify(started.state), target: started.url });
        this.emit(serverId, { progress: 50, message: 'Waiting for the server to answer' });
        await this.waitUp(started.url, prefix, started.state, abort.signal);
      } finally {
        clearTimeout(timer);
      }
      await this.proxy.addRoute(prefix, started.url, { user: user.name, server_name: server.name });
      const now = nowIso();
      await this.repo.updateServer(serverId, { status: 'running', started: now, last_activity: now });
      await this.repo.bumpUserActivity(user.id, now);
      this.observer?.spawned('success', (Date.now() - began) / 1000);
      const ready = this.readyEvent(prefix);
      this.lastOutcome.set(serverId, ready);
      this.emit(serverId, ready);
      this.log.info({ user: user.name, server: server.name, target: started.url }, 'server ready');
    } catch (err) {
      const message = err instanceof SpawnError || err instanceof ServerError ? err.message : `internal error: ${(err as Error).message}`;
      const status = err instanceof SpawnError || err instanceof ServerError ? err.status : 500;
      this.log.warn({ user: user.name, server: server.name, err: (err as Error).message }, 'spawn failed');
      await this.cleanup(server, state, clientId, message).catch((e) => this.log.error({ err: e }, 'cleanup after failed spawn'));
      const failed: ServerEvent & { status: number } = { progress: 100, failed: true, message: `Spawn failed: ${message}`, status };
      this.lastOutcome.set(serverId, failed);
      this.observer?.spawned('failure', (Date.now() - began) / 1000);
      this.emit(serverId, failed);
    }
  }

  /** JupyterHub's readiness probe: any answer < 500 from <target><prefix>, while the spawner says it runs. */
  private async waitUp(target: string, prefix: string, state: SpawnerState, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.config.spawner.http_timeout * 1000;
    let wait = 50;
    for (;;) {
      if (signal.aborted) throw signal.reason;
      try {
        const res = await fetch(`${target}${prefix}`, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status < 500) return;
      } catch {
        // not listening yet
      }
      const polled = await this.spawner.poll(state);
      if (!polled.running) throw new SpawnError(`the server exited before it was ready: ${polled.reason}`, 500);
      if (Date.now() > deadline) throw new SpawnError(`the server did not answer within ${this.config.spawner.http_timeout} s`, 500);
      await delay(wait);
      wait = Math.min(wait * 2, 1000);
    }
  }

  private environment(user: UserRow, serverName: string, prefix: string, token: string, clientId: string, accessScopes: string[]) {
    const base = this.urls.baseUrl;
    const env: Record<string, string> = {
      JUPYTERHUB_API_TOKEN: token,
      JPY_API_TOKEN: token,
      JUPYTERHUB_CLIENT_ID: clientId,
      JUPYTERHUB_API_URL: this.urls.apiUrl,
      JUPYTERHUB_ACTIVITY_URL: `${this.urls.apiUrl}/users/${user.name}/activity`,
      JUPYTERHUB_BASE_URL: base,
      JUPYTERHUB_HOST: '',
      JUPYTERHUB_USER: user.name,
      JUPYTERHUB_SERVER_NAME: serverName,
      JUPYTERHUB_SERVICE_PREFIX: prefix,
      JUPYTERHUB_OAUTH_CALLBACK_URL: `${prefix}oauth_callback`,
      JUPYTERHUB_OAUTH_ACCESS_SCOPES: JSON.stringify(accessScopes),
      JUPYTERHUB_OAUTH_SCOPES: JSON.stringify(accessScopes),
      JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: '[]',
    };
    if (this.config.spawner.default_url) env.JUPYTERHUB_DEFAULT_URL = this.config.spawner.default_url;
    if (user.admin) env.JUPYTERHUB_ADMIN_ACCESS = '1';
    return env;
  }

  private async runStop(user: UserRow, server: ServerRow, reason: string): Promise<void> {
    await this.repo.updateServer(server.id, { status: 'stopping' });
    // The route goes first, so no request reaches a server that is going away.
    await this.proxy.deleteRoute(server.base_url).catch((err) => this.log.warn({ err: err.message }, 'could not delete route'));
    await this.cleanup(server, parseJson(server.spawner_state), this.clientIdFor(user.name, server.name), null);
    this.log.info({ user: user.name, server: server.name, reason }, 'server stopped');
    this.observer?.stopped(reason.startsWith('culled') ? 'culled' : reason.startsWith('banned') ? 'banned' : 'request');
  }

  /** Stops what the spawner may have started and forgets the server's credentials. */
  private async cleanup(server: ServerRow, state: SpawnerState | null, clientId: string, error: string | null): Promise<void> {
    if (state && Object.keys(state).length) {
      await this.spawner.stop(state, { timeoutSeconds: this.config.spawner.docker.stop_timeout });
    }
    await this.proxy.deleteRoute(server.base_url).catch(() => undefined);
    await this.repo.deleteClient(clientId);
    await this.repo.db.deleteFrom('api_tokens').where('server_id', '=', server.id).execute();
    await this.repo.updateServer(server.id, {
      status: 'stopped', target: null, started: null, spawner_state: '{}', last_error: error,
    });
  }

  /** A server found dead: the database and the proxy are brought in line with reality. */
  private async markGone(server: ServerRow & { user_name: string }, reason: string): Promise<void> {
    this.log.warn({ user: server.user_name, server: server.name, reason }, 'server is gone; marking it stopped');
    await this.proxy.deleteRoute(server.base_url).catch(() => undefined);
    await this.repo.deleteClient(this.clientIdFor(server.user_name, server.name));
    await this.repo.db.deleteFrom('api_tokens').where('server_id', '=', server.id).execute();
    await this.repo.updateServer(server.id, { status: 'stopped', target: null, started: null, spawner_state: '{}', last_error: reason });
    this.lastOutcome.delete(server.id);
  }

  /** Polls every running server once (JupyterHub's poll_interval loop). */
  async pollAll(): Promise<void> {
    for (const server of await this.repo.serversWithStatus(['running'])) {
      if (this.ops.has(server.id)) continue;
      const result = await this.spawner.poll(parseJson(server.spawner_state) ?? {}).catch((err) => {
        this.log.warn({ err: (err as Error).message }, 'poll failed');
        return { running: true } as const; // unknown is not dead: never stop a server on a failed poll
      });
      if (!result.running && !this.ops.has(server.id)) await this.markGone(server, result.reason);
    }
  }

  /**
   * Start-up reconciliation: servers that died are marked stopped, half-done spawns/stops are undone,
   * containers or processes nobody owns are stopped, and the proxy's routes are made to match.
   */
  async reconcile(): Promise<void> {
    for (const server of await this.repo.serversWithStatus(['spawning', 'stopping'])) {
      this.log.warn({ user: server.user_name, server: server.name, status: server.status }, 'undoing an interrupted operation');
      const state = parseJson(server.spawner_state);
      if (state && Object.keys(state).length) await this.spawner.stop(state, { timeoutSeconds: 5 }).catch(() => undefined);
      await this.markGone(server, `interrupted by a hub restart while ${server.status === 'spawning' ? 'starting' : 'stopping'}`);
    }
    await this.pollAll();
    const running = await this.repo.serversWithStatus(['running']);
    const owned = new Set(running.map((s) => `${s.user_name}/${s.name}`));
    for (const managed of await this.spawner.listManaged()) {
      if (owned.has(`${managed.user}/${managed.serverName}`)) continue;
      this.log.warn({ user: managed.user, server: managed.serverName }, 'stopping an orphaned server');
      await this.spawner.stop(managed.state, { timeoutSeconds: 5 }).catch((err) => this.log.error({ err: err.message }, 'orphan stop failed'));
    }
    await this.checkRoutes();
  }

  listRoutes() {
    return this.proxy.getAllRoutes();
  }

  /** JupyterHub's check_routes: the hub route, one route per ready server, nothing else hub-owned. Serialised. */
  checkRoutes(): Promise<void> {
    const run = this.routesBusy.then(() => this.checkRoutesOnce());
    this.routesBusy = run.catch(() => undefined);
    return run;
  }

  private async checkRoutesOnce(): Promise<void> {
    const routes = await this.proxy.getAllRoutes();
    const hubSpec = this.urls.baseUrl;
    const hubRoute = routes.get(hubSpec);
    if (!hubRoute || hubRoute.target !== this.urls.hubTarget || !hubRoute.data.hub) {
      await this.proxy.addRoute(hubSpec, this.urls.hubTarget, { hub: true });
    }
    const wanted = new Set([hubSpec]);
    for (const server of await this.repo.serversWithStatus(['running', 'spawning'])) {
      wanted.add(server.base_url);
      if (server.status !== 'running' || !server.target || this.ops.has(server.id)) continue;
      const route = routes.get(server.base_url);
      if (route) {
        const seen = typeof route.data.last_activity === 'string' ? route.data.last_activity : null;
        if (seen) {
          await this.repo.bumpServerActivity(server.id, new Date(seen).toISOString());
          await this.repo.bumpUserActivity(server.user_id, new Date(seen).toISOString());
        }
      }
      if (!route || route.target !== server.target) {
        await this.proxy.addRoute(server.base_url, server.target, { user: server.user_name, server_name: server.name });
      }
    }
    for (const spec of routes.keys()) {
      if (!wanted.has(spec)) await this.proxy.deleteRoute(spec);
    }
  }

  startTimers(): void {
    const every = (seconds: number, fn: () => Promise<void>, what: string) => {
      const timer = setInterval(() => fn().catch((err) => this.log.warn({ err: (err as Error).message }, `${what} failed`)), seconds * 1000);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.config.spawner.poll_interval, () => this.pollAll(), 'poll');
    every(this.config.hub.check_routes_interval, () => this.checkRoutes(), 'check_routes');
  }

  /** Stops timers only: user servers keep running when the hub goes away. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
}

function delay(ms: number) {
  return new Promise<void>((r) => setTimeout(r, ms).unref?.());
}

function parseJson(text: string | null | undefined): SpawnerState | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}
