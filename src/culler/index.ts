import type { PlasmaConfig } from '../config/index.ts';
import type { Repo, ServerRow } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import type { CullStatus } from './types.ts';

export type { CullStatus } from './types.ts';

/** What the culler needs from the hub: fresh activity (from the proxy) and a way to stop (or remove) a server. */
export interface CullTarget {
  refreshActivity(): Promise<void>;
  stopServer(userId: number, serverName: string, reason: string, remove: boolean): Promise<void>;
}

/**
 * TLJH's idle culler, in-process: stops servers idle longer than culler.timeout (activity from the servers' own
 * reports and from the proxy's traffic) and servers older than culler.max_age, named servers too (removed with
 * culler.remove_named_servers). Users are warned culler.warning_seconds before. Config is read live.
 */
export class IdleCuller {
  private timer: NodeJS.Timeout | null = null;
  private timerEvery = 0;
  private readonly warned = new Set<number>();

  constructor(
    private readonly repo: Repo,
    private readonly target: CullTarget,
    private readonly config: PlasmaConfig['culler'],
    private readonly log: Logger,
  ) {}

  status(server: Pick<ServerRow, 'name' | 'started' | 'last_activity'>, now = Date.now()): CullStatus {
    const c = this.config;
    const last = Date.parse(server.last_activity ?? server.started ?? '');
    const started = Date.parse(server.started ?? '');
    const candidates: Array<{ at: number; reason: 'idle' | 'max_age' }> = [];
    if (c.enabled && !Number.isNaN(last)) candidates.push({ at: last + c.timeout * 1000, reason: 'idle' });
    if (c.enabled && c.max_age > 0 && !Number.isNaN(started)) candidates.push({ at: started + c.max_age * 1000, reason: 'max_age' });
    const next = candidates.sort((a, b) => a.at - b.at)[0];
    const left = next ? Math.max(0, Math.round((next.at - now) / 1000)) : null;
    return {
      stops_at: next ? new Date(next.at).toISOString() : null, seconds_left: left, reason: next?.reason ?? null,
      warning: left !== null && c.warning_seconds > 0 && left <= c.warning_seconds, warning_seconds: c.warning_seconds,
      last_activity: Number.isNaN(last) ? null : new Date(last).toISOString(), idle_timeout: c.timeout, max_age: c.max_age,
      removes: !!server.name && c.remove_named_servers,
    };
  }

  async cullOnce(now = Date.now()): Promise<string[]> {
    await this.target.refreshActivity().catch((err) => this.log.warn({ err: (err as Error).message }, 'culler: activity refresh failed'));
    const culled: string[] = [];
    const running = await this.repo.serversWithStatus(['running']);
    for (const id of this.warned) if (!running.some((s) => s.id === id)) this.warned.delete(id);
    for (const server of running) {
      const status = this.status(server, now);
      if (status.seconds_left === null) continue;
      if (status.seconds_left > 0) {
        if (status.warning && !this.warned.has(server.id)) {
          this.warned.add(server.id);
          this.log.info({ user: server.user_name, server: server.name, stops_at: status.stops_at, reason: status.reason }, 'culler: the user is warned of a stop');
        } else if (!status.warning) {
          this.warned.delete(server.id);
        }
        continue;
      }
      const why = status.reason === 'max_age'
        ? `culled: running for more than ${this.config.max_age} s (culler.max_age)`
        : `culled: idle for ${Math.round((now - Date.parse(status.last_activity!)) / 1000)} s (culler.timeout ${this.config.timeout} s)`;
      this.log.info({ user: server.user_name, server: server.name, reason: status.reason, remove: status.removes }, why);
      this.warned.delete(server.id);
      await this.target.stopServer(server.user_id, server.name, why, status.removes);
      culled.push(`${server.user_name}/${server.name}`);
    }
    return culled;
  }

  /** Starts (or, after a config reload, restarts) the timer at culler.every. */
  start(): void {
    if (this.timer && this.timerEvery === this.config.every && this.config.enabled) return;
    this.stop();
    if (!this.config.enabled) return;
    this.timerEvery = this.config.every;
    this.timer = setInterval(() => {
      this.cullOnce().catch((err) => this.log.warn({ err: (err as Error).message }, 'culler failed'));
    }, this.config.every * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
