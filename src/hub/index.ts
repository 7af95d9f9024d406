import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { listenOn, type ListeningHandle } from '../system/handover.ts';
import { createAuthenticator } from '../auth/index.ts';
import { LoginThrottle, SessionStore } from '../auth/sessions.ts';
import { loadConfig, resolvePaths, type PlasmaConfig, type PlasmaPaths } from '../config/index.ts';
import { proxyToken } from '../config/secrets.ts';
import { DataVersion, IdentityVersion, openDatabase, Repo, UserDiskRepo } from '../db/index.ts';
import { DiskUsage } from '../ops/disk-usage.ts';
import { createLogger, type Logger } from '../log/index.ts';
import { ChpApiClient } from '../proxy/client.ts';
import { createSpawner } from '../spawner/index.ts';
import { IdleCuller } from '../culler/index.ts';
import { HostSampler, ServerSampler } from '../monitoring/index.ts';
import { EnvironmentService } from '../environments/index.ts';
import type { HubContext } from '../api/context.ts';
import { AnswerCache, IdentityCache } from '../api/index.ts';
import { endEventStreams } from '../api/event-stream.ts';
import { buildHubApp, closeHubApp } from './app.ts';
import { ServerManager } from '../servers/index.ts';
import { HubUsers } from '../users/index.ts';
import { HubMetrics } from '../metrics/index.ts';
import { reloadConfig } from './reload.ts';

export interface RunningHub {
  url: string;
  ctx: HubContext;
  /** The listening socket (to hand to a successor). */
  listener(): net.Server;
  close(): Promise<void>;
  closed: Promise<void>;
}

export { proxyToken };

function loopbackFor(ip: string): string {
  return ip === '0.0.0.0' || ip === '::' ? '127.0.0.1' : ip;
}

/** Starts the hub: database (migrated, backed up first), reconciliation with reality, then HTTP. */
export async function startHub(options: {
  paths?: PlasmaPaths; config?: PlasmaConfig; logger?: Logger;
  /** A listening socket handed over by the hub this one replaces, used instead of binding the port. */
  inherit?: ListeningHandle;
  /**
   * Called once everything that does not touch the user servers is ready (database, models, routes compiled),
   * before reconciliation and listening: a successor hub waits here for its predecessor to stop, so the gap in
   * between is only reconciliation and the listen.
   */
  beforeServing?: () => Promise<void>;
} = {}): Promise<RunningHub> {
  // When each step of the start-up ended, in ms since the process started (performance.now()'s origin): logged once
  // the hub listens, for an admin asking why a restart took long.
  const startup: Record<string, number> = {};
  const reached = (step: string) => { startup[step] = Math.round(performance.now()); };
  reached('loaded');
  const paths = options.paths ?? resolvePaths();
  const config = options.config ?? loadConfig(paths);
  const log = options.logger ?? createLogger('plasma-hub', config.log_level, path.join(paths.logsDir, 'hub.log'));
  for (const dir of [paths.stateDir, paths.logsDir, paths.runDir]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });

  const opened = await openDatabase({ file: paths.database, backupsDir: paths.backupsDir });
  if (opened.applied.length) log.info({ migrations: opened.applied, backup: opened.backupFile }, 'database migrated');
  reached('database');
  const repo = new Repo(opened.db);
  const dataVersion = new DataVersion(opened.sqlite);
  const identityVersion = new IdentityVersion(opened.sqlite);

  const hubHost = loopbackFor(config.hub.ip);
  const hubTarget = `http://${hubHost}:${config.hub.port}`;
  const connect = (config.hub.connect_url ?? hubTarget).replace(/\/$/, '');
  const urls = { baseUrl: config.hub.base_url, hubTarget, apiUrl: `${connect}${config.hub.base_url}hub/api` };
  const proxyApi = `http://${loopbackFor(config.proxy.api_ip)}:${config.proxy.api_port}`;
  const proxy = new ChpApiClient(proxyApi, proxyToken(config, paths));
  const proxyMetrics = async () => {
    if (config.proxy.type !== 'plasma') return '';
    const res = await fetch(`${proxyApi}/metrics`, { headers: { Authorization: `token ${proxyToken(config, paths)}` }, signal: AbortSignal.timeout(5000) });
    return res.ok ? res.text() : '';
  };
  const spawner = await createSpawner(config, paths, log, connect);
  const hubUsers = new HubUsers(repo, config.auth, config.environments, config.users);
  const metrics = new HubMetrics();
  const disk = new DiskUsage(repo, new UserDiskRepo(opened.db), config.users, log);
  const environments = new EnvironmentService(repo, config, paths, log);
  const servers = new ServerManager(repo, spawner, proxy, config, urls, log, {
    // Every start, from the API, the form or for a named server, is checked here against fresh groups.
    resolve: async (user, userOptions) => {
      await disk.checkStart(user);
      const groups = await hubUsers.currentGroups(user);
      const actor = { name: user.name, admin: !!user.admin, builder: hubUsers.isBuilder(groups) };
      return environments.resolveForSpawn(actor, userOptions, groups, spawner.kind !== 'local');
    },
  });
  servers.observer = metrics;
  await hubUsers.applyAdminUsers();

  const monitor = {
    host: new HostSampler([paths.prefix, config.spawner.docker.home_base || '/home', '/var/lib/docker']),
    servers: new ServerSampler(repo, spawner, {
      intervalSeconds: config.monitoring.interval, historyMinutes: config.monitoring.history_minutes, log,
    }),
  };

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const ctx: HubContext = {
    repo, config, paths, servers, hubUsers, environments, urls, log, monitor, spawner, metrics, disk, proxyMetrics,
    authenticator: createAuthenticator(config.auth, repo),
    sessions: new SessionStore(repo, config.hub.cookie_max_age_days, (name) => hubUsers.isBanned(name)),
    throttle: new LoginThrottle(config.hub.login_throttle.max_failures, config.hub.login_throttle.window_seconds),
    answers: new AnswerCache({ database: () => dataVersion.current(), pending: () => servers.pendingVersion }),
    identities: new IdentityCache(() => identityVersion.current()),
    shutdown: () => void close(),
  };

  // Ends what the hub does in the background on its own timers, so a stop does not wait for them.
  const stopping = new AbortController();
  await repo.purgeExpired();
  const app = await buildHubApp(ctx);
  await app.ready();
  reached('app');
  await options.beforeServing?.();
  reached('go');
  try {
    await servers.reconcile();
  } catch (err) {
    // The proxy may be starting too: the periodic check will add the routes once it answers.
    log.warn({ err: (err as Error).message }, 'start-up reconciliation incomplete; retrying in the background');
    void retryRoutes(servers, log, stopping.signal);
  }
  reached('reconciled');
  servers.startTimers();
  await environments.start();
  const culler = new IdleCuller(repo, {
    refreshActivity: () => servers.checkRoutes(),
    stopServer: async (userId, serverName, reason, remove) => {
      const user = await repo.findUserById(userId);
      if (user) await servers.stop(user, serverName, { waitMs: 60_000, reason, remove });
    },
  }, config.culler, log);
  culler.start();
  if (config.monitoring.enabled) monitor.servers.start();
  disk.start();
  ctx.culler = culler;
  ctx.reloadConfig = async () => {
    const outcome = await reloadConfig({ paths, config, log, repo, servers, culler, disk });
    // Bans, roles and URLs come from the config: nothing made under the old one is reused.
    ctx.answers.clear();
    ctx.identities.clear();
    return outcome;
  };

  if (options.inherit) {
    await listenOn(app.server, options.inherit);
  } else {
    await app.listen({ host: config.hub.ip, port: config.hub.port });
  }
  reached('listening');
  log.info({ url: hubTarget, spawner: spawner.kind, auth: ctx.authenticator.kind, inherited: Boolean(options.inherit), startup_ms: startup }, 'hub listening');

  let closeOnce: Promise<void> | null = null;
  async function close(): Promise<void> {
    closeOnce ??= (async () => {
      stopping.abort();
      culler.stop();
      monitor.servers.stop();
      disk.stop();
      await servers.close();
      await environments.close();
      // The listener closes at once; keep-alive clients are told to move on for 50 ms, then idle connections close;
      // event streams (progress, build logs) end now, since browsers reconnect to the next hub; requests in flight
      // are finished, for a few seconds at most.
      await closeHubApp(app, 50, 5000, endEventStreams);
      await opened.close();
      log.info('hub stopped (user servers keep running)');
      resolveClosed();
    })();
    return closeOnce;
  }
  return { url: hubTarget, ctx, close, closed, listener: () => app.server };
}

async function retryRoutes(servers: ServerManager, log: Logger, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; attempt < 60 && !signal.aborted; attempt++) {
    // Unreferenced: a hub that has closed exits without waiting for the next attempt.
    await new Promise((r) => setTimeout(r, 1000).unref());
    if (signal.aborted) return;
    try {
      await servers.checkRoutes();
      log.info('routes reconciled with the proxy');
      return;
    } catch {
      // proxy still down
    }
  }
}
