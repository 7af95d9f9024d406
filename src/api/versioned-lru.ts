/**
 * A least-recently-used map whose entries are tagged with the version of the state they were made from: an entry
 * read under another version is gone. Bounded by the total of `sizeOf` over its values (1 each by default); a
 * value larger than a quarter of the bound is not kept, so one answer cannot empty the map.
 */
export class VersionedLru<T> {
  private readonly entries = new Map<string, { version: string; value: T; size: number }>();
  private total = 0;

  constructor(private readonly maxSize: number, private readonly sizeOf: (value: T) => number = () => 1) {}

  /** The value kept for `key` under exactly this version (never inside a transaction: version null). */
  get(key: string, version: string | null): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (version === null || entry.version !== version) {
      this.total -= entry.size;
      return undefined;
    }
    this.entries.set(key, entry); // most recently used last
    return entry.value;
  }

  set(key: string, version: string | null, value: T): void {
    if (version === null) return;
    const size = this.sizeOf(value);
    if (size > this.maxSize / 4) return;
    this.delete(key);
    this.entries.set(key, { version, value, size });
    this.total += size;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxSize) break;
      this.entries.delete(k);
      this.total -= e.size;
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.total -= old.size;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  get size(): { entries: number; total: number } {
    return { entries: this.entries.size, total: this.total };
  }
}
