import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from './context.ts';
import type { Identity } from './identity.ts';

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

interface Entry { version: string; body: string; type: string }

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly source: AnswerVersion, private readonly maxBytes = 8 * 1024 * 1024) {}

  /** The version to tag an answer with, taken before it is computed (a write meanwhile makes it stale at once). */
  version(): string | null {
    const db = this.source.database();
    return db === null ? null : `${db}/${this.source.pending()}`;
  }

  get(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.version !== this.version()) {
      this.bytes -= entry.body.length;
      return undefined;
    }
    this.entries.set(key, entry); // most recently used last
    return entry;
  }

  set(key: string, version: string | null, body: string, type: string): void {
    if (version === null || body.length > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.body.length;
      this.entries.delete(key);
    }
    this.entries.set(key, { version, body, type });
    this.bytes += body.length;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.body.length;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
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
  if (key && !wantsFresh(req.headers)) {
    const hit = ctx.answers.get(key);
    if (hit) return hit.body;
  }
  const version = ctx.answers.version();
  const body = JSON.stringify(await compute());
  if (key) ctx.answers.set(key, version, body, type);
  return body;
}
