import type { ServerUsage } from '../types.ts';

/** The parts of Docker's GET /containers/{id}/stats answer that monitoring reads (cgroup v1 and v2). */
export interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}

/** Memory as `docker stats` shows it: usage without the page cache that can be dropped. */
export function usageFromStats(stats: DockerStats): ServerUsage | null {
  const total = stats.cpu_stats?.cpu_usage?.total_usage;
  const usage = stats.memory_stats?.usage;
  if (typeof total !== 'number' || typeof usage !== 'number') return null;
  const extra = stats.memory_stats?.stats ?? {};
  const cache = extra.total_inactive_file ?? extra.inactive_file ?? 0;
  const limit = stats.memory_stats?.limit;
  return {
    cpuSeconds: total / 1e9,
    memoryBytes: Math.max(0, usage - cache),
    // Docker reports the host's memory as the limit of an unlimited container.
    memoryLimitBytes: typeof limit === 'number' && limit > 0 && limit < 2 ** 60 ? limit : undefined,
  };
}

/** Docker multiplexes stdout and stderr of a container without a TTY: 8-byte headers, then the payload. */
export function demuxLogs(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length && raw[offset] <= 2 && raw[offset + 1] === 0) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  if (offset === 0) return raw.toString('utf8'); // a TTY container: plain text
  return Buffer.concat(parts).toString('utf8');
}
