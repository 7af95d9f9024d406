import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/index.ts';
import type { RouteTable } from './route-table.ts';

interface SavedRoute {
  target: string;
  data: Record<string, unknown>;
  last_activity: number;
}

export interface RouteStoreOptions {
  /** Quiet time after a change before writing (ms). */
  delayMs?: number;
  /** Longest a change waits for quiet before it is written anyway (ms). */
  maxDelayMs?: number;
  /** How often traffic-only changes (last_activity) are written (ms; 0 = never). */
  activityEveryMs?: number;
}

/**
 * Keeps the route table in a file so a restarted proxy serves every route before the hub is back.
 * Writes are debounced, asynchronous, off the request path, and atomic (temp file + rename), so a crash
 * mid-write leaves the previous file intact.
 */
export class RouteStore {
  private timer: NodeJS.Timeout | null = null;
  private activityTimer: NodeJS.Timeout | null = null;
  private savedVersion = -1;
  private savedAt = 0;
  private writing: Promise<void> | null = null;
  private readonly delayMs: number;
  private readonly maxDelayMs: number;
  /** When the oldest unsaved change was made. */
  private firstChangeAt = 0;
  private readonly tmpFile: string;

  constructor(private readonly file: string, private readonly table: RouteTable, private readonly log: Logger, options: RouteStoreOptions = {}) {
    this.delayMs = options.delayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 1000;
    this.tmpFile = `${file}.${process.pid}.tmp`;
    const every = options.activityEveryMs ?? 60_000;
    if (every > 0) {
      // Activity is what the culler and the hub's reconciliation read; losing a minute of it on a crash is fine.
      this.activityTimer = setInterval(() => {
        if (this.hasNewActivity()) this.changed();
      }, every);
      this.activityTimer.unref();
    }
  }

  load(): number {
    let saved: Record<string, SavedRoute>;
    try {
      saved = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ err: (err as Error).message, file: this.file }, 'could not read saved routes');
      return 0;
    }
    let count = 0;
    for (const [routePath, r] of Object.entries(saved)) {
      try {
        this.table.set(routePath, r.target, r.data ?? {}, typeof r.last_activity === 'number' ? r.last_activity : Date.now());
        count++;
      } catch {
        this.log.warn({ route: routePath }, 'skipping a saved route with a bad target');
      }
    }
    this.savedVersion = this.table.version;
    this.savedAt = Date.now();
    return count;
  }

  /** Called after every change (so it must stay cheap); the write happens once things settle. */
  changed(): void {
    if (this.timer) return;
    this.firstChangeAt = Date.now();
    this.wait();
  }

  /**
   * One timer per quiet period, not one per change: when it fires and the table moved meanwhile (a burst of adds),
   * it waits another delayMs, up to maxDelayMs in all; a burst is written once, after it ends.
   */
  private wait(): void {
    const version = this.table.version;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.table.version !== version && Date.now() - this.firstChangeAt + this.delayMs <= this.maxDelayMs) return this.wait();
      void this.save();
    }, this.delayMs);
    this.timer.unref();
  }

  private hasNewActivity(): boolean {
    for (const r of this.table.entries()) if (r.lastActivity > this.savedAt) return true;
    return false;
  }

  /**
   * The file's text: what JSON.stringify of { [path]: SavedRoute } gives, but put together from each route's cached
   * entry, so a save during a burst of adds serialises only the routes that are new since the last one.
   */
  private snapshot(): string {
    const entries: string[] = [];
    for (const r of this.table.entries()) {
      if (r.savedPrefix === '') r.savedPrefix = `${JSON.stringify(r.path)}:{"target":${JSON.stringify(r.target)},"data":${JSON.stringify(r.data)},"last_activity":`;
      entries.push(`${r.savedPrefix}${JSON.stringify(r.lastActivity)}}`);
    }
    return `{${entries.join(',')}}`; // one join: a rope of 10k+ concatenations costs more to flatten
  }

  /** Writes the table if it changed since the last write; one write at a time, the latest state wins. */
  async save(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.savedVersion === this.table.version && !this.hasNewActivity()) return;
    const version = this.table.version;
    const at = Date.now();
    const text = this.snapshot();
    this.writing = (async () => {
      try {
        await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
        await fs.promises.writeFile(this.tmpFile, text, { mode: 0o600 });
        await fs.promises.rename(this.tmpFile, this.file);
        this.savedVersion = version;
        this.savedAt = at;
      } catch (err) {
        this.log.error({ err: (err as Error).message, file: this.file }, 'could not save routes');
      }
    })();
    try {
      await this.writing;
    } finally {
      this.writing = null;
    }
  }

  /** On shutdown: waits for a write under way, then writes synchronously whatever is newer. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.activityTimer) clearInterval(this.activityTimer);
    this.timer = null;
    this.activityTimer = null;
    while (this.writing) await this.writing;
    if (this.savedVersion === this.table.version && !this.hasNewActivity()) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(this.tmpFile, this.snapshot(), { mode: 0o600 });
      fs.renameSync(this.tmpFile, this.file);
      this.savedVersion = this.table.version;
    } catch (err) {
      this.log.error({ err: (err as Error).message, file: this.file }, 'could not save routes');
    }
  }
}
