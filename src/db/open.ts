import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });

  const selected = options.migrateTo ? pick(MIGRATIONS, options.migrateTo) : MIGRATIONS;
  const migrator = new Migrator({ db, provider: new StaticProvider(selected) });
  const pending = (await migrator.getMigrations()).filter((m) => !m.executedAt);

  let backupFile: string | null = null;
  if (pending.length > 0 && existed) {
    fs.mkdirSync(options.backupsDir, { recursive: true, mode: 0o700 });
    backupFile = path.join(options.backupsDir, `plasma-${timestampForFile()}-before-${pending[0].name}.sqlite`);
    // better-sqlite3's backup uses SQLite's online backup API: consistent while others read.
    await sqlite.backup(backupFile);
    // A backup is one self-contained file: out of WAL mode, so opening it never leaves -wal/-shm beside it.
    const copy = new SQLite(backupFile);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    fs.chmodSync(backupFile, 0o600);
  }
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}` +
      (backupFile ? ` (the database before it is saved at ${backupFile})` : ''));
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  return { db, sqlite, backupFile, applied, close: () => db.destroy() };
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
