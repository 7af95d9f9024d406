import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/index.ts';
import type { RouteTable } from './route-table.ts';

interface SavedRoute {
  target: string;
  data: Record<string, unknown>;
  last_activity: number;
}

/**
 * Keeps the route table in a file so a restarted proxy serves every route before the hub is back.
 * Writes are debounced, off the request path, and atomic (temp file + rename).
 */
export class RouteStore {
  private timer: NodeJS.Timeout | null = null;
  private savedVersion = -1;

  constructor(private readonly file: string, private readonly table: RouteTable, private readonly log: Logger, private readonly delayMs = 200) {}

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
        this.table.set(routePath, r.target, r.data ?? {}, r.last_activity);
        count++;
      } catch {
        this.log.warn({ route: routePath }, 'skipping a saved route with a bad target');
      }
    }
    this.savedVersion = this.table.version;
    return count;
  }

  /** Called after every change; the write happens once things settle. */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.delayMs);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.savedVersion === this.table.version) return;
    const out: Record<string, SavedRoute> = {};
    for (const r of this.table.entries()) out[r.path] = { target: r.target, data: r.data, last_activity: r.lastActivity };
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(out), { mode: 0o600 });
      fs.renameSync(tmp, this.file);
      this.savedVersion = this.table.version;
    } catch (err) {
      this.log.error({ err: (err as Error).message, file: this.file }, 'could not save routes');
    }
  }
}
