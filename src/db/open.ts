import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Migration, type MigrationProvider, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Database } from './schema.ts';
import { MIGRATIONS } from './migrations/index.ts';

export interface OpenedDatabase {
  db: Kysely<Database>;
  sqlite: SQLite.Database;
  /** Path of the backup written before migrating, if any migration ran. */
  backupFile: string | null;
  applied: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  file: string;
  backupsDir: string;
  /** Apply migrations up to and including this name (tests build older databases with it). */
  migrateTo?: string;
  /** Other migrations than the release's own (tests). */
  migrations?: Record<string, Migration>;
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  async getMigrations() {
    return this.migrations;
  }
}

function timestampForFile(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** Opens (creating if needed) the state database in WAL mode and applies pending migrations, backing up first. */
export async function openDatabase(options: OpenOptions): Promise<OpenedDatabase> {
  fs.mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
  const existed = fs.existsSync(options.file) && fs.statSync(options.file).size > 0;
  const sqlite = new SQLite(options.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  fs.chmodSync(options.file, 0o600);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });

  const all = options.migrations ?? MIGRATIONS;
  const selected = options.migrateTo ? pick(all, options.migrateTo) : all;
  // Names are numbered ASCII: a plain comparison. Kysely's default, localeCompare, starts ICU's collator at every
  // hub start (a few ms, and MBs of Node's ICU data paged in for good).
  const migrator = new Migrator({ db, provider: new StaticProvider(selected), nameComparator: (a, b) => (a < b ? -1 : a > b ? 1 : 0) });
  const pending = (await migrator.getMigrations()).filter((m) => !m.executedAt);

  let backupFile: string | null = null;
  if (pending.length > 0 && existed) {
    fs.mkdirSync(options.backupsDir, { recursive: true, mode: 0o700 });
    backupFile = path.join(options.backupsDir, `plasma-${timestampForFile()}-before-${pending[0].name}.sqlite`);
    await copyDatabase(sqlite, backupFile);
  }
  // One transaction for every pending migration (Kysely runs SQLite's without one): a failure leaves the
  // database exactly as it was, which is what lets an upgrade fall back to the old release on it.
  if (pending.length) sqlite.exec('BEGIN IMMEDIATE');
  const { error, results } = await migrator.migrateToLatest();
  if (pending.length) sqlite.exec(error ? 'ROLLBACK' : 'COMMIT');
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}` +
      (backupFile ? ` (the database before it is saved at ${backupFile})` : ''));
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  return { db, sqlite, backupFile, applied, close: () => db.destroy() };
}

/**
 * Kysely prepares every query anew; at thousands of requests a second that is a good part of the hub's time. The
 * same SQL text (values are bound, never in the text) gets the same prepared statement, from a bounded cache.
 * Safe because better-sqlite3 runs a statement to its end before the next one starts (Kysely streams nothing here).
 */
function withStatementCache(sqlite: SQLite.Database, size = 500): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare: (text: string) => {
      let stmt = cache.get(text);
      if (stmt) {
        cache.delete(text); // most recently used last
      } else {
        stmt = sqlite.prepare(text);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, stmt);
      return stmt as unknown as SqliteStatement;
    },
  };
}

/**
 * A consistent copy of a live database (SQLite's online backup API: other processes keep reading and writing),
 * as one self-contained file: out of WAL mode, so opening it never leaves -wal/-shm files beside it.
 */
export async function copyDatabase(source: SQLite.Database | string, dest: string): Promise<void> {
  const own = typeof source === 'string' ? new SQLite(source, { readonly: true, fileMustExist: true }) : null;
  try {
    await (own ?? (source as SQLite.Database)).backup(dest);
  } finally {
    own?.close();
  }
  const copy = new SQLite(dest);
  copy.pragma('journal_mode = DELETE');
  copy.close();
  fs.chmodSync(dest, 0o600);
}

/** A database file opened as it is: read-only, no migration (backups, imports). */
export function openSnapshot(file: string): { db: Kysely<Database>; migrations(): string[]; close(): Promise<void> } {
  const sqlite = new SQLite(file, { readonly: true, fileMustExist: true });
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    migrations: () => {
      try {
        return (sqlite.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
      } catch {
        return [];
      }
    },
    close: () => db.destroy(),
  };
}

function pick(all: Record<string, Migration>, upTo: string): Record<string, Migration> {
  if (!(upTo in all)) throw new Error(`unknown migration ${upTo}`);
  const out: Record<string, Migration> = {};
  for (const name of Object.keys(all).sort()) {
    out[name] = all[name];
    if (name === upTo) break;
  }
  return out;
}
