import { loadConfig, type PlasmaConfig, type PlasmaPaths } from '../config/index.ts';
import { applyLive, diffConfig } from '../config/reload.ts';
import type { IdleCuller } from '../culler/index.ts';
import type { Repo } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import type { DiskUsage } from '../ops/disk-usage.ts';
import type { ServerManager } from '../servers/index.ts';

interface Running {
  paths: PlasmaPaths;
  config: PlasmaConfig;
  log: Logger;
  repo: Repo;
  servers: ServerManager;
  culler: IdleCuller;
  disk: DiskUsage;
}

/**
 * `plasma config reload` in the hub: the file is read and checked (a bad one throws ConfigError, changing nothing),
 * live keys are copied into the running config, timers restart at their new intervals, and users banned by this
 * reload lose their sessions, tokens and servers at once. User servers are never touched otherwise.
 */
export async function reloadConfig(hub: Running): Promise<{ applied: string[]; restart_hub: string[]; restart_proxy: string[]; banned_now: string[] }> {
  const { config, log, repo, servers } = hub;
  const next = loadConfig(hub.paths);
  const changes = diffConfig(config, next);
  const banned = new Set(config.auth.banned_users);
  applyLive(config, next, changes.applied);
  log.level = config.log_level;
  servers.queue.setLimit(config.spawner.concurrent_spawn_limit);
  hub.culler.start();
  hub.disk.stop();
  hub.disk.start();
  const bannedNow = config.auth.banned_users.filter((name) => !banned.has(name));
  for (const name of bannedNow) {
    const user = await repo.findUser(name);
    if (!user) continue;
    await repo.revokeUser(user.id);
    for (const s of await repo.serversOf(user.id)) {
      if (s.status !== 'stopped') await servers.stop(user, s.name, { waitMs: 60_000, reason: 'banned (auth.banned_users)' }).catch(() => undefined);
    }
  }
  return { applied: changes.applied, restart_hub: changes.restart_hub, restart_proxy: changes.restart_proxy, banned_now: bannedNow };
}
