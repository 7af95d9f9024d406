import type { PlasmaConfig } from './schema.ts';

/**
 * `plasma config reload`: which changed keys the running hub applies at once, and which need a restart. Live keys
 * are read by the hub's parts at every use (the config object is changed in place), so nothing is rebuilt.
 */

/** Keys (or key prefixes) a running hub applies without a restart. */
const LIVE = [
  'auth.admin_users', 'auth.allowed_groups', 'auth.allowed_users', 'auth.banned_users', 'auth.group_map', 'auth.create_system_users',
  'spawner.start_timeout', 'spawner.http_timeout', 'spawner.concurrent_spawn_limit', 'spawner.default_url', 'spawner.named_servers.limit_per_user', 'spawner.local',
  'spawner.docker.memory_limit', 'spawner.docker.cpu_limit', 'spawner.docker.stop_timeout', 'spawner.docker.cmd', 'spawner.docker.args',
  'spawner.docker.shared_data_path',
  'environments.groups', 'environments.builder_groups', 'environments.default', 'environments.local_roots',
  'culler', 'users', 'metrics', 'log_level',
];

/** Keys read only by the proxy (restart the proxy, not the hub). */
const PROXY = ['proxy.ssl_key', 'proxy.ssl_cert', 'proxy.http_redirect_port', 'proxy.timeout_ms', 'proxy.ip', 'proxy.port', 'https'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Dotted paths of every leaf (lists and maps of free keys count as one value). */
function leaves(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (isObject(value) && prefix !== 'auth.group_map') {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(value ?? null));
  }
  return out;
}

const under = (key: string, list: string[]) => list.some((p) => key === p || key.startsWith(`${p}.`));

export interface ConfigChanges {
  applied: string[];
  restart_hub: string[];
  restart_proxy: string[];
}

export function diffConfig(current: PlasmaConfig, next: PlasmaConfig): ConfigChanges & { changed: string[] } {
  const a = leaves(current);
  const b = leaves(next);
  const changed = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
  return {
    changed,
    applied: changed.filter((k) => under(k, LIVE)),
    restart_hub: changed.filter((k) => !under(k, LIVE) && !under(k, PROXY)),
    restart_proxy: changed.filter((k) => under(k, PROXY)),
  };
}

/** Copies the live keys' new values into the running config, in place. */
export function applyLive(current: PlasmaConfig, next: PlasmaConfig, keys: string[]): void {
  for (const key of keys) {
    const parts = key.split('.');
    let to: Record<string, unknown> = current as unknown as Record<string, unknown>;
    let from: unknown = next;
    for (const part of parts.slice(0, -1)) {
      if (!isObject(to[part])) to[part] = {};
      to = to[part] as Record<string, unknown>;
      from = isObject(from) ? from[part] : undefined;
    }
    const last = parts.at(-1)!;
    const value = isObject(from) ? from[last] : undefined;
    if (value === undefined) delete to[last];
    else to[last] = structuredClone(value);
  }
}

/** tljh-config's keys, accepted by `plasma config` as aliases of Plasma's. */
export const TLJH_ALIASES: Record<string, string> = {
  'limits.memory': 'spawner.docker.memory_limit',
  'limits.cpu': 'spawner.docker.cpu_limit',
  'services.cull.enabled': 'culler.enabled',
  'services.cull.timeout': 'culler.timeout',
  'services.cull.every': 'culler.every',
  'services.cull.max_age': 'culler.max_age',
  'users.admin': 'auth.admin_users',
  'users.allowed': 'auth.allowed_users',
  'users.banned': 'auth.banned_users',
  'https.tls.key': 'proxy.ssl_key',
  'https.tls.cert': 'proxy.ssl_cert',
  'plasma.groups': 'environments.groups',
};

/** The Plasma key for a key typed on the command line (tljh-config's names included). */
export function resolveKey(key: string): { key: string; alias?: string } {
  const target = TLJH_ALIASES[key];
  return target ? { key: target, alias: key } : { key };
}
