import fs from 'node:fs';

/**
 * Node flags for the hub's process, wherever it is started (systemd unit, `plasma start`, tests and benches, and a
 * successor, which inherits them). A young generation of 1 MB per semi-space instead of 16: a busy hub makes much
 * short-lived garbage, and with the default the heap (and so the RSS) grew by a hundred MB under load and stayed
 * there; scavenges become more frequent but each is smaller, and the API's rates did not drop (bench/hub).
 */
export const HUB_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/**
 * The hub runs on jemalloc (Debian's libjemalloc2) when it is installed. After a burst of requests glibc's malloc
 * kept about 10 MB of fragmented free memory in the heap for good; jemalloc gives it back (bench/hub, RSS at rest).
 * It is loaded with LD_PRELOAD, so whoever starts the hub sets it: `hubProcess` here, the systemd unit, a successor.
 * PLASMA_MALLOC=system keeps glibc's.
 */
const JEMALLOC_PATHS = ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'];

export function hubAllocator(env: NodeJS.ProcessEnv = process.env, exists: (file: string) => boolean = fs.existsSync): string | null {
  if (env.PLASMA_MALLOC === 'system') return null;
  return JEMALLOC_PATHS.find((file) => exists(file)) ?? null;
}

const preloads = (value: string | undefined): string[] => (value ?? '').split(/[:\s]+/).filter(Boolean);

/** The environment a hub process starts with: `env` with the allocator preloaded first, once. */
export function hubEnvironment(env: NodeJS.ProcessEnv, allocator = hubAllocator(env)): NodeJS.ProcessEnv {
  if (!allocator) return env;
  const rest = preloads(env.LD_PRELOAD).filter((lib) => lib !== allocator);
  return { ...env, LD_PRELOAD: [allocator, ...rest].join(':') };
}

/** The arguments and environment that start `bin hub` with the hub's flags and allocator. */
export function hubProcess(bin: string, env: NodeJS.ProcessEnv, extraArgs: string[] = []): { args: string[]; env: NodeJS.ProcessEnv } {
  return { args: [...HUB_NODE_FLAGS, bin, 'hub', ...extraArgs], env: hubEnvironment(env) };
}

/**
 * Called first in the hub: the allocator is for the hub alone, so it is taken out of the environment its children
 * inherit (git, the proxy `plasma up` starts, user servers); a successor gets it back from `hubEnvironment`.
 */
export function keepAllocatorToSelf(env: NodeJS.ProcessEnv = process.env, allocator = hubAllocator(env)): void {
  if (!allocator || env.LD_PRELOAD === undefined) return;
  const rest = preloads(env.LD_PRELOAD).filter((lib) => lib !== allocator);
  if (rest.length) env.LD_PRELOAD = rest.join(':');
  else delete env.LD_PRELOAD;
}
