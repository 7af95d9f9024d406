import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** SQLite binds at most 32,766 parameters per statement; chunks stay far below, and short. */
const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** A server found dead or undone: its row, and the OAuth client its credentials hang off. */
export interface GoneServer {
  id: number;
  clientId: string;
}

/**
 * Writes about many servers at once, each batch in one transaction: what start-up reconciliation, the poller and the
 * route check need, so 100 running servers cost a few statements rather than a few per server.
 */
export class ServersBulkRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Marks servers stopped and forgets their credentials (tokens, OAuth clients), all or nothing. */
  async markStopped(servers: GoneServer[], reason: string): Promise<void> {
    if (!servers.length) return;
    await this.db.transaction().execute(async (tx) => {
      for (const part of chunks(servers)) {
        const ids = part.map((s) => s.id);
        const clients = part.map((s) => s.clientId);
        await tx.deleteFrom('api_tokens').where((eb) => eb.or([eb('server_id', 'in', ids), eb('client_id', 'in', clients)])).execute();
        await tx.deleteFrom('oauth_clients').where('identifier', 'in', clients).execute();
        await tx.updateTable('servers')
          .set({ status: 'stopped', target: null, started: null, spawner_state: '{}', last_error: reason })
          .where('id', 'in', ids).execute();
      }
    });
  }

  /** Moves servers' and their users' last_activity forward (never back), in one transaction. */
  async bumpActivity(entries: Array<{ serverId: number; userId: number; when: string }>): Promise<void> {
    if (!entries.length) return;
    const latestByUser = new Map<number, string>();
    for (const e of entries) {
      const seen = latestByUser.get(e.userId);
      if (!seen || seen < e.when) latestByUser.set(e.userId, e.when);
    }
    await this.db.transaction().execute(async (tx) => {
      for (const e of entries) {
        await tx.updateTable('servers').set({ last_activity: e.when }).where('id', '=', e.serverId)
          .where((eb) => eb.or([eb('last_activity', 'is', null), eb('last_activity', '<', e.when)])).execute();
      }
      for (const [userId, when] of latestByUser) {
        await tx.updateTable('users').set({ last_activity: when }).where('id', '=', userId)
          .where((eb) => eb.or([eb('last_activity', 'is', null), eb('last_activity', '<', when)])).execute();
      }
    });
  }
}
