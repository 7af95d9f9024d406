import crypto from 'node:crypto';
import type { TokenIdentity } from './identity.ts';
import { VersionedLru } from './versioned-lru.ts';

/**
 * Who a token is, kept while nothing that decides it has changed (the database's identity version, which triggers
 * move: see migration 006): a client that sends the same token again and again (a script, the admin UI's service,
 * a user's server) costs a hash and a lookup, not three queries and a scope expansion, and creating another token or
 * starting a server does not change that. Keyed by a digest, never by the secret itself. Expiry and bans are checked
 * on every use by the caller; the config's live reload clears it. A cached identity's activity times are only as
 * fresh as this hub's own writes: a route that shows them reads the row again.
 */
export class IdentityCache {
  private readonly lru = new VersionedLru<TokenIdentity>(10_000);

  constructor(private readonly currentVersion: () => string | null) {}

  static keyOf(secret: string): string {
    return crypto.createHash('sha256').update(secret).digest('base64');
  }

  version(): string | null {
    return this.currentVersion();
  }

  get(key: string, version: string | null): TokenIdentity | undefined {
    return this.lru.get(key, version);
  }

  set(key: string, version: string | null, identity: TokenIdentity): void {
    this.lru.set(key, version, identity);
  }

  clear(): void {
    this.lru.clear();
  }
}
