import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { PlasmaConfig } from '../config/index.ts';
import { hashSecret, nowIso, ServersBulkRepo, type Repo, type ServerRow, type UserRow } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import type { ProxyClient } from '../proxy/types.ts';
import { SpawnError, type SpawnEnvironment, type Spawner, type SpawnerState } from '../spawner/types.ts';
import { clientIdFor, parseState as parseJson } from './naming.ts';
import { serverEnvironment } from './env.ts';
import { SpawnQueue } from './queue.ts';
import { Reconciler } from './reconcile.ts';

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

/**
 * Owns the life of user servers: JupyterHub's User.spawn/stop, the poller and the start-up
 * reconciliation. Everything it knows is in the database or asked of the spawner and the proxy.
 */
export class ServerManager {
  private readonly ops = new Map<number, Operation>();
  private opsVersion = 0;
  /** Last finished spawn's events, so a progress stream opened just after still sees the outcome. */
  private readonly lastOutcome = new Map<number, ServerEvent>();
  /** Starts waiting for their server to answer, woken early by nudge(). */
  private readonly wakers = new Map<number, () => void>();
  private timers: NodeJS.Timeout[] = [];
  private watching: AbortController | null = null;
  private readonly reconciler: Reconciler;
  /** Starts at once beyond spawner.concurrent_spawn_limit wait here, and see their place in the progress stream. */
  readonly queue: SpawnQueue;
  observer: ServerObserver | null = null;

  constructor(
    private readonly repo: Repo,
    private readonly spawner: Spawner,
    private readonly proxy: ProxyClient,
    private readonly config: PlasmaConfig,
    private readonly urls: HubUrls,
    private readonly log: Logger,
    private readonly environments?: EnvironmentResolver,
  ) {
    this.queue = new SpawnQueue(config.spawner.concurrent_spawn_limit);
    this.reconciler = new Reconciler({
      repo, bulk: new ServersBulkRepo(repo.db), spawner, proxy, urls, log,
      busy: (id) => this.ops.has(id),
      forget: (id) => this.lastOutcome.delete(id),
    });
  }

  prefixFor(userName: string, serverName: string): string {
    return `${this.urls.baseUrl}user/${userName}/${serverName ? `${serverName}/` : ''}`;
  }

  clientIdFor(userName: string, serverName: string): string {
    return clientIdFor(userName, serverName);
  }

  /** Moves whenever a start or stop begins or ends (answers cached by the API depend on it). */
  get pendingVersion(): number {
    return this.opsVersion;
  }

  pendingOf(serverId: number): 'spawn' | 'stop' | null {
    return this.ops.get(serverId)?.kind ?? null;
  }

  /** Servers with a start or stop under way (the listing's state filter counts them in SQL). */
  pendingServerIds(): number[] {
    return [...this.ops.keys()];
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
    this.opsVersion++;
    op.done = body()
      .catch((err) => this.log.error({ err, serverId }, `${kind} failed unexpectedly`))
      .finally(() => {
        this.ops.delete(serverId);
        this.opsVersion++;
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
    let release: (() => void) | null = null;
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
      const env = serverEnvironment(this.urls, this.config.spawner, { user, serverName: server.name, prefix, token: apiToken, clientId, accessScopes });
      const groups = await this.repo.groupsOf(user.id);
      // The start timeout runs from the moment a slot is free: waiting in line is not the server being slow.
      release = await this.queue.acquire(abort.signal, (ahead) => this.emit(serverId, {
        progress: 0,
        message: ahead ? `Waiting for a free slot: ${ahead} start${ahead === 1 ? '' : 's'} ahead of yours` : 'Waiting for a free slot: yours is next',
      }));
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
        await this.waitUp(serverId, started.url, prefix, started.state, abort.signal);
      } finally {
        clearTimeout(timer);
        release();
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
      release?.();
      await this.cleanup(server, state, clientId, message).catch((e) => this.log.error({ err: e }, 'cleanup after failed spawn'));
      const failed: ServerEvent & { status: number } = { progress: 100, failed: true, message: `Spawn failed: ${message}`, status };
      this.lastOutcome.set(serverId, failed);
      this.observer?.spawned('failure', (Date.now() - began) / 1000);
      this.emit(serverId, failed);
    }
  }

  /**
   * A server reporting activity is listening: a start still waiting for it probes it now, not at its next turn.
   * (jupyterhub-singleuser posts its first activity as soon as it has started.)
   */
  nudge(serverId: number): void {
    const wake = this.wakers.get(serverId);
    this.wakers.delete(serverId);
    wake?.();
  }

  /**
   * JupyterHub's readiness probe: any answer < 500 from <target><prefix>, while the spawner says it runs. The HTTP
   * probe is cheap (a refused connection on loopback) and runs often, so nobody waits long past ready; the spawner's
   * poll (a Docker inspect) runs once a second.
   */
  private async waitUp(serverId: number, target: string, prefix: string, state: SpawnerState, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.config.spawner.http_timeout * 1000;
    let wait = 50;
    let polled = Date.now();
    for (;;) {
      if (signal.aborted) throw signal.reason;
      try {
        const res = await fetch(`${target}${prefix}`, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status < 500) return;
      } catch {
        // not listening yet
      }
      if (Date.now() - polled >= 1000) {
        polled = Date.now();
        const result = await this.spawner.poll(state);
        if (!result.running) throw new SpawnError(`the server exited before it was ready: ${result.reason}`, 500);
      }
      if (Date.now() > deadline) throw new SpawnError(`the server did not answer within ${this.config.spawner.http_timeout} s`, 500);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.wakers.delete(serverId); resolve(); }, wait);
        this.wakers.set(serverId, () => { clearTimeout(timer); resolve(); });
      });
      wait = Math.min(Math.round(wait * 1.5), 250);
    }
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

  /** Polls every running server once (JupyterHub's poll_interval loop), in bulk. */
  pollAll(): Promise<void> {
    return this.reconciler.pollAll();
  }

  /** Start-up reconciliation with what runs and what the proxy routes (see Reconciler). */
  reconcile(): Promise<void> {
    return this.reconciler.reconcile();
  }

  listRoutes() {
    return this.proxy.getAllRoutes();
  }

  /** JupyterHub's check_routes, with the proxy's activity written back. */
  checkRoutes(): Promise<void> {
    return this.reconciler.checkRoutes();
  }

  startTimers(): void {
    const every = (seconds: number, fn: () => Promise<void>, what: string) => {
      const timer = setInterval(() => fn().catch((err) => this.log.warn({ err: (err as Error).message }, `${what} failed`)), seconds * 1000);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.config.spawner.poll_interval, () => this.pollAll(), 'poll');
    every(this.config.hub.check_routes_interval, () => this.checkRoutes(), 'check_routes');
    // A restarted proxy (configurable-http-proxy keeps routes in memory only) gets them back within seconds.
    let proxyDown = false;
    every(this.config.hub.proxy_watch_interval, async () => {
      try {
        await this.reconciler.checkRoutes({ activity: false });
        if (proxyDown) this.log.info('the proxy answers again; its routes are in line');
        proxyDown = false;
      } catch (err) {
        // Said once, not every interval while the proxy is away.
        if (!proxyDown) this.log.warn({ err: (err as Error).message }, 'the proxy does not answer; routes are restored once it does');
        proxyDown = true;
      }
    }, 'route watch');
    this.watching = new AbortController();
    let scheduled: NodeJS.Timeout | null = null;
    this.spawner.watch?.((why) => {
      if (scheduled) return;
      // A burst of events (a daemon restart stops every container) makes one bulk poll.
      scheduled = setTimeout(() => {
        scheduled = null;
        this.log.debug({ why }, 'the spawner reports a change: polling');
        this.pollAll().catch((err) => this.log.warn({ err: (err as Error).message }, 'poll failed'));
      }, 200);
      scheduled.unref();
    }, this.watching.signal);
  }

  /** Stops timers only: user servers keep running when the hub goes away. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.watching?.abort();
  }
}

function delay(ms: number) {
  return new Promise<void>((r) => setTimeout(r, ms).unref?.());
}
