import type { Repo, ServerRow } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import type { ServerUsage, Spawner, SpawnerState } from '../spawner/index.ts';

/** One reading: time (ms), CPU in % of one core since the previous reading, memory in bytes. */
export interface Sample {
  t: number;
  cpu: number;
  memory: number;
}

export interface ServerSeries {
  serverId: number;
  user: string;
  server: string;
  environment: string | null;
  memoryLimit: number | null;
  samples: Sample[];
}

interface Tracked extends ServerSeries {
  lastCpuSeconds: number | null;
  lastAt: number;
}

function environmentOf(row: ServerRow): string | null {
  try {
    const options = JSON.parse(row.user_options) as Record<string, unknown>;
    const value = options.environment ?? options.image;
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

/**
 * Samples every running server's CPU and memory through the spawner (Docker's stats for containers) and keeps
 * the last `historyMinutes` in memory: monitoring is a live view, not a store, so a hub restart starts afresh.
 */
export class ServerSampler {
  private readonly tracked = new Map<number, Tracked>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly repo: Repo,
    private readonly spawner: Spawner,
    private readonly options: { intervalSeconds: number; historyMinutes: number; log: Logger },
  ) {}

  get intervalSeconds(): number {
    return this.options.intervalSeconds;
  }

  start(): void {
    if (!this.spawner.usage || this.timer) return;
    this.timer = setInterval(() => void this.sampleOnce(), this.options.intervalSeconds * 1000);
    this.timer.unref();
    void this.sampleOnce();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async sampleOnce(): Promise<void> {
    if (this.busy || !this.spawner.usage) return;
    this.busy = true;
    try {
      const running = await this.repo.serversWithStatus(['running']);
      const live = new Set(running.map((s) => s.id));
      for (const id of this.tracked.keys()) if (!live.has(id)) this.tracked.delete(id);
      if (this.spawner.usageMany) {
        // One look for every server (local processes: one pass over /proc).
        const usage = await this.spawner.usageMany(running.map((row) => parseState(row.spawner_state)));
        running.forEach((row, i) => this.record(row, usage[i]));
      } else {
        // One at a time: a few Docker calls per interval, never a burst.
        for (const row of running) this.record(row, await this.spawner.usage!(parseState(row.spawner_state)).catch(() => null));
      }
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'monitoring sample failed');
    } finally {
      this.busy = false;
    }
  }

  private record(row: ServerRow & { user_name: string }, usage: ServerUsage | null): void {
    if (!usage) return;
    const now = Date.now();
    let entry = this.tracked.get(row.id);
    if (!entry) {
      entry = {
        serverId: row.id, user: row.user_name, server: row.name, environment: environmentOf(row),
        memoryLimit: null, samples: [], lastCpuSeconds: null, lastAt: now,
      };
      this.tracked.set(row.id, entry);
    }
    entry.memoryLimit = usage.memoryLimitBytes ?? null;
    if (entry.lastCpuSeconds !== null && now > entry.lastAt) {
      const cpu = Math.max(0, (100 * (usage.cpuSeconds - entry.lastCpuSeconds)) / ((now - entry.lastAt) / 1000));
      entry.samples.push({ t: now, cpu: Math.round(cpu * 10) / 10, memory: usage.memoryBytes });
      const cutoff = now - this.options.historyMinutes * 60_000;
      while (entry.samples.length && entry.samples[0].t < cutoff) entry.samples.shift();
    }
    entry.lastCpuSeconds = usage.cpuSeconds;
    entry.lastAt = now;
  }

  series(): ServerSeries[] {
    return [...this.tracked.values()].map(({ lastCpuSeconds: _c, lastAt: _a, ...series }) => series);
  }
}

function parseState(text: string): SpawnerState {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}
