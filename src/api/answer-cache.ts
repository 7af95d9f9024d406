import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from './context.ts';
import type { Identity } from './identity.ts';
import { VersionedLru } from './versioned-lru.ts';

/**
 * Serialized answers of read-only API routes (GET /users, GET /users/{name}, GET /groups), reused while nothing
 * they were made from has changed: the state database (DataVersion), the servers starting or stopping (held in memory) and the
 * live config (cleared on reload). Admin pages poll the same listing again and again; between two writes each poll
 * is then one lookup instead of a page of queries and models. A request with `Cache-Control: no-cache` is always
 * answered afresh. Bounded in bytes, least recently used out first.
 *
 * Keep it exact: a route answered from here may show only what those three cover. A field that comes from anywhere
 * else (a spawner's live state, the proxy, the clock) must move the version when it changes, or stay out of these
 * answers.
 */
export interface AnswerVersion {
  /** The database's version (null inside a transaction: nothing is kept then). */
  database(): string | null;
  /** Bumped whenever a server's pending state (spawn, stop) begins or ends. */
  pending(): number;
}

interface Entry { body: string; type: string }

export class AnswerCache {
  private readonly lru: VersionedLru<Entry>;

  constructor(private readonly source: AnswerVersion, maxBytes = 8 * 1024 * 1024) {
    this.lru = new VersionedLru<Entry>(maxBytes, (entry) => entry.body.length);
  }

  /** The version to tag an answer with, taken before it is computed (a write meanwhile makes it stale at once). */
  version(): string | null {
    const db = this.source.database();
    return db === null ? null : `${db}/${this.source.pending()}`;
  }

  get(key: string, version: string | null): Entry | undefined {
    return this.lru.get(key, version);
  }

  set(key: string, version: string | null, body: string, type: string): void {
    this.lru.set(key, version, { body, type });
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): { entries: number; bytes: number } {
    const { entries, total } = this.lru.size;
    return { entries, bytes: total };
  }
}

/** What an answer depends on besides the state: who asks (a token or a session), and the request's URL and headers. */
export function answerKey(
  who: { token?: { id: number }; session?: { session_id: string } },
  req: { url: string; headers: Record<string, string | string[] | undefined> },
): string | null {
  const caller = who.token ? `t${who.token.id}` : who.session ? `s${who.session.session_id}` : null;
  if (!caller) return null;
  const h = req.headers;
  return `${caller}\n${req.url}\n${h.accept ?? ''}\n${h.host ?? ''}\n${h['x-forwarded-proto'] ?? ''}`;
}

/** `Cache-Control: no-cache` (or `no-store`) from the client: answer afresh. */
export function wantsFresh(headers: Record<string, string | string[] | undefined>): boolean {
  const v = headers['cache-control'];
  return typeof v === 'string' && /no-cache|no-store/i.test(v);
}

/** A read answer from the cache when nothing it depends on changed, else computed, serialized and kept. */
export async function cachedJson(ctx: HubContext, req: FastifyRequest, reply: FastifyReply, identity: Identity, compute: () => Promise<unknown>): Promise<string> {
  const key = answerKey(identity, req);
  const type = 'application/json; charset=utf-8';
  reply.type(type);
  const version = ctx.answers.version();
  if (key && !wantsFresh(req.headers)) {
    const hit = ctx.answers.get(key, version);
    if (hit) return hit.body;
  }
  const body = JSON.stringify(await compute());
  if (key) ctx.answers.set(key, version, body, type);
  return body;
}
