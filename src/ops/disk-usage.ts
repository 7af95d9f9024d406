import { execFile } from 'node:child_process';
import type { PlasmaConfig } from '../config/index.ts';
import { nowIso, type Repo, type UserDiskRepo, type UserDiskRow, type UserRow } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import { listSystemUsers, lookupUser, type SystemUser } from '../system/users.ts';
import { formatSize, parseSize } from './quota.ts';

/** A home's size in bytes: du at the lowest CPU and I/O priority, on that filesystem only. */
export function measureHome(home: string, signal?: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('nice', ['-n', '19', 'ionice', '-c', '3', 'du', '-s', '-x', '-B1', '--', home], { timeout: 30 * 60_000, maxBuffer: 1 << 20, signal }, (err, stdout, stderr) => {
      const bytes = Number(String(stdout).split('\t')[0]);
      // du exits 1 when some files could not be read but still prints the total of the rest.
      if (Number.isFinite(bytes) && String(stdout).includes('\t')) resolve(bytes);
      else reject(new Error(`du ${home}: ${String(stderr).trim() || err?.message}`));
    });
  });
}

export interface DiskView {
  home: string | null;
  bytes: number | null;
  measured_at: string | null;
  soft_limit: number | null;
  hard_limit: number | null;
  over_soft: boolean;
  over_hard: boolean;
}

/** Thrown when a start is refused for the disk; `status` is what the API answers. */
export class DiskLimitError extends Error {
  readonly status = 403;
}

/**
 * Each user's home usage, measured in the background (one home at a time, at low priority), and Plasma's own
 * limits: a warning over the soft limit, no new server over the hard one. Limits are the user's own, else
 * users.disk's defaults; config is read live so a reload applies.
 */
export class DiskUsage {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Ends a pass in progress (and its du) when the hub stops: a shutdown must not wait for a disk scan. */
  private pass: AbortController | null = null;

  constructor(private readonly repo: Repo, readonly disk: UserDiskRepo, private readonly config: PlasmaConfig['users'], private readonly log: Logger) {}

  view(row: UserDiskRow | undefined): DiskView {
    const soft = row?.soft_limit ?? (this.config.disk.soft_limit ? parseSize(this.config.disk.soft_limit) : null);
    const hard = row?.hard_limit ?? (this.config.disk.hard_limit ? parseSize(this.config.disk.hard_limit) : null);
    const bytes = row?.bytes ?? null;
    return {
      home: row?.home ?? null, bytes, measured_at: row?.measured_at ?? null, soft_limit: soft, hard_limit: hard,
      over_soft: bytes !== null && soft !== null && bytes > soft, over_hard: bytes !== null && hard !== null && bytes > hard,
    };
  }

  async of(user: UserRow): Promise<DiskView> {
    return this.view(await this.disk.get(user.id));
  }

  /** Measures one user's home now (users without a system account have none: null). */
  async measure(user: UserRow, known?: SystemUser | null, signal?: AbortSignal): Promise<DiskView | null> {
    const account = known === undefined ? await lookupUser(user.name) : known;
    if (!account || account.uid === 0 || !account.home.startsWith('/')) return null;
    const bytes = await measureHome(account.home, signal);
    await this.disk.recordUsage(user.id, account.home, bytes, nowIso());
    return this.of(user);
  }

  /** Called before every start: over the hard limit (by a fresh measurement) is refused, with the reason. */
  async checkStart(user: UserRow): Promise<void> {
    let view = await this.of(user);
    if (view.hard_limit === null) return;
    // Refuse only on a measurement made now: the user may have just deleted files.
    if (view.over_hard || view.bytes === null) view = (await this.measure(user).catch(() => null)) ?? view;
    if (view.over_hard) {
      throw new DiskLimitError(`Your home folder uses ${formatSize(view.bytes)}, more than your limit of ${formatSize(view.hard_limit)}: `
        + 'delete some files (or ask your teacher for more space) before starting a server.');
    }
  }

  /**
   * Measures every home once, one after the other. The accounts come from one listing of the passwd database: a
   * getent per user was 10,000 processes a pass at 10,000 users, most of the hub's CPU. Where a directory may not
   * list its users, names the listing lacks are looked up one by one, a pause between them.
   */
  async measureAll(): Promise<number> {
    let n = 0;
    const accounts = await listSystemUsers().catch(() => ({ users: new Map<string, SystemUser>(), complete: false }));
    const pass = (this.pass = new AbortController());
    for (const user of await this.repo.listUsers()) {
      if (pass.signal.aborted) break;
      try {
        let account = accounts.users.get(user.name) ?? null;
        if (!account && !accounts.complete) {
          await new Promise((r) => setTimeout(r, 20));
          account = await lookupUser(user.name);
        }
        if (await this.measure(user, account, pass.signal)) n++;
      } catch (err) {
        this.log.warn({ user: user.name, err: (err as Error).message }, 'disk usage: could not measure a home');
      }
    }
    return n;
  }

  start(): void {
    const every = this.config.disk.usage_interval;
    if (!every || this.timer) return;
    const tick = () => {
      if (!this.timer) return; // stopped meanwhile
      this.running ??= this.measureAll().then((n) => this.log.debug({ homes: n }, 'disk usage measured'))
        .catch((err) => this.log.warn({ err: (err as Error).message }, 'disk usage failed')).finally(() => { this.running = null; });
    };
    this.timer = setInterval(tick, every * 1000);
    this.timer.unref();
    setTimeout(tick, 1000).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.pass?.abort();
  }
}
