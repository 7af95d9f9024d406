import type SQLite from 'better-sqlite3';

/**
 * A value that changes whenever the state database may have changed: a write on the hub's own connection moves
 * total_changes(), a commit by another process (a CLI command, a restore) moves data_version. Inside an open
 * transaction there is no such value (null): what a request reads there may still be rolled back.
 */
export class DataVersion {
  private readonly changes: SQLite.Statement;
  private readonly external: SQLite.Statement;

  constructor(private readonly sqlite: SQLite.Database) {
    this.changes = sqlite.prepare('SELECT total_changes()').pluck();
    this.external = sqlite.prepare('PRAGMA data_version').pluck();
  }

  current(): string | null {
    if (this.sqlite.inTransaction) return null;
    return `${this.changes.get() as number}.${this.external.get() as number}`;
  }
}

/**
 * The identity version (migration 006): moved by triggers whenever who a token is may have changed, in any process.
 * Null inside an open transaction, as above.
 */
export class IdentityVersion {
  private readonly value: SQLite.Statement;

  constructor(private readonly sqlite: SQLite.Database) {
    this.value = sqlite.prepare('SELECT value FROM identity_version WHERE id = 1').pluck();
  }

  current(): string | null {
    if (this.sqlite.inTransaction) return null;
    return String(this.value.get() as number);
  }
}
