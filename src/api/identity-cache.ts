import crypto from 'node:crypto';
import type { Identity } from './identity.ts';

/**
 * Who a token is, kept while the state database is unchanged (DataVersion): a client that sends the same token
 * again and again (a script, the admin UI's service, a user's server) costs a hash and a lookup, not three
 * queries and a scope expansion. Keyed by a digest, never by the secret itself. Expiry and bans are checked
 * on every use by the caller; the config's live reload clears it.
 */
export class IdentityCache {
  private readonly entries = new Map<string, { version: string; identity: Identity }>();

  constructor(private readonly version: () => string | null, private readonly max = 10_000) {}

  static keyOf(secret: string): string {
    return crypto.createHash('sha256').update(secret).digest('base64');
  }

  currentVersion(): string | null {
    return this.version();
  }

  get(key: string): Identity | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.version !== this.version()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.identity;
  }

  set(key: string, version: string | null, identity: Identity): void {
    if (version === null) return;
    this.entries.delete(key);
    this.entries.set(key, { version, identity });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
  }
}
