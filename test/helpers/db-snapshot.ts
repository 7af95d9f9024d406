import Database from 'better-sqlite3';

/**
 * Columns that move on any authenticated request, accepted or refused (JupyterHub's activity tracking too): a
 * refused request may bump them, so the "nothing changed" check leaves them out. Everything else is compared.
 */
export const VOLATILE_COLUMNS: Record<string, string[]> = {
  users: ['last_activity'],
  servers: ['last_activity'],
  api_tokens: ['last_activity'],
  sessions: ['last_seen'],
};

export type Snapshot = Map<string, string[]>;

/** Reads the hub's SQLite database (read-only, beside the running hub: WAL) as one line of JSON per row. */
export class DbSnapshots {
  private readonly db: Database.Database;
  private readonly tables: Array<{ name: string; select: Database.Statement }>;

  constructor(file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    const names = (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>)
      .map((r) => r.name);
    if (!names.includes('users')) throw new Error(`${file} has no users table: not the hub's database`);
    this.tables = names.map((name) => {
      const columns = (this.db.prepare(`PRAGMA table_info("${name}")`).all() as Array<{ name: string }>).map((c) => c.name)
        .filter((c) => !(VOLATILE_COLUMNS[name] ?? []).includes(c));
      const list = columns.map((c) => `"${c}"`).join(', ');
      // Every column in ORDER BY: tables without a rowid order are still compared row for row.
      return { name, select: this.db.prepare(`SELECT ${list} FROM "${name}" ORDER BY ${list}`) };
    });
  }

  take(): Snapshot {
    const out: Snapshot = new Map();
    const read = this.db.transaction(() => {
      for (const t of this.tables) out.set(t.name, (t.select.raw().all() as unknown[][]).map((row) => JSON.stringify(row)));
    });
    read();
    return out;
  }

  close(): void {
    this.db.close();
  }
}

/** What differs between two snapshots, table by table (rows only in one of them), or [] when they are equal. */
export function snapshotDiff(before: Snapshot, after: Snapshot, maxRows = 3): string[] {
  const out: string[] = [];
  for (const table of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(table) ?? [];
    const b = after.get(table) ?? [];
    const inA = new Set(a);
    const inB = new Set(b);
    const gone = a.filter((r) => !inB.has(r));
    const added = b.filter((r) => !inA.has(r));
    if (!gone.length && !added.length && a.length === b.length) continue;
    out.push(`${table}: ${a.length} → ${b.length} rows; gone ${JSON.stringify(gone.slice(0, maxRows))}; new ${JSON.stringify(added.slice(0, maxRows))}`);
  }
  return out;
}
