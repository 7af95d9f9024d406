import type { PlasmaConfig } from '../config/index.ts';
import type { Repo } from '../db/index.ts';
import type { Logger } from '../log/index.ts';

/** What the culler needs from the hub: fresh activity (from the proxy) and a way to stop a server. */
export interface CullTarget {
  refreshActivity(): Promise<void>;
  stopServer(userId: number, serverName: string, reason: string): Promise<void>;
}

/** Stops servers idle for longer than `culler.timeout` (TLJH's idle culler, in-process). */
export class IdleCuller {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repo: Repo,
    private readonly target: CullTarget,
    private readonly config: PlasmaConfig['culler'],
    private readonly log: Logger,
  ) {}

  async cullOnce(now = Date.now()): Promise<string[]> {
    await this.target.refreshActivity().catch((err) => this.log.warn({ err: (err as Error).message }, 'culler: activity refresh failed'));
    const culled: string[] = [];
    for (const server of await this.repo.serversWithStatus(['running'])) {
      const last = Date.parse(server.last_activity ?? server.started ?? '');
      if (Number.isNaN(last) || now - last < this.config.timeout * 1000) continue;
      const idleMinutes = Math.round((now - last) / 60_000);
      this.log.info({ user: server.user_name, server: server.name, idleMinutes }, 'culling an idle server');
      await this.target.stopServer(server.user_id, server.name, `idle for ${idleMinutes} min`);
      culled.push(`${server.user_name}/${server.name}`);
    }
    return culled;
  }

  start(): void {
    if (!this.config.enabled || this.timer) return;
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
