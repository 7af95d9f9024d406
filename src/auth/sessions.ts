import crypto from 'node:crypto';
import { hashSecret, nowIso, type Repo, type SessionRow, type UserRow } from '../db/index.ts';

export const LOGIN_COOKIE = 'plasma-hub-login';
export const SESSION_ID_COOKIE = 'jupyterhub-session-id';
export const LOGIN_XSRF_COOKIE = 'plasma-login-xsrf';

/**
 * The request's cookies. A name sent twice is left out: the hub sets each of its cookies once, on one path, so a
 * second one was set by someone else — a user's server on this origin can set cookies for /hub/ paths (cookie
 * tossing), and the browser would send its own first. Neither is trusted then; the user signs in again.
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  const seen = new Set<string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name) continue;
    if (seen.has(name)) {
      delete out[name];
      continue;
    }
    seen.add(name);
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      out[name] = part.slice(eq + 1).trim();
    }
  }
  return out;
}

export interface CookieOptions {
  path: string;
  maxAgeSeconds?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Lax' | 'Strict';
}

export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${o.path}`];
  if (o.maxAgeSeconds !== undefined) {
    parts.push(`Max-Age=${o.maxAgeSeconds}`);
    parts.push(`Expires=${new Date(Date.now() + o.maxAgeSeconds * 1000).toUTCString()}`);
  }
  if (o.httpOnly !== false) parts.push('HttpOnly');
  if (o.secure) parts.push('Secure');
  parts.push(`SameSite=${o.sameSite ?? 'Lax'}`);
  return parts.join('; ');
}

export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('hex');
}

/** Browser sessions, stored hashed in the database so they survive hub restarts and upgrades. */
export class SessionStore {
  constructor(private readonly repo: Repo, private readonly maxAgeDays: number, private readonly isBanned: (name: string) => boolean = () => false) {}

  async create(user: UserRow): Promise<{ cookieValue: string; session: SessionRow }> {
    const cookieValue = randomToken();
    const now = nowIso();
    const session: SessionRow = {
      id_hash: hashSecret(cookieValue),
      session_id: randomToken(16),
      user_id: user.id,
      cookie_id: user.cookie_id,
      xsrf: randomToken(16),
      created: now,
      expires_at: new Date(Date.now() + this.maxAgeDays * 86400_000).toISOString(),
      last_seen: now,
    };
    await this.repo.insertSession(session);
    return { cookieValue, session };
  }

  /** The session and its user, if the cookie is valid and the user's cookie_id has not been rotated. */
  async resolve(cookieValue: string | undefined): Promise<{ session: SessionRow; user: UserRow } | null> {
    if (!cookieValue || cookieValue.length > 200) return null;
    const session = await this.repo.findSession(cookieValue);
    if (!session) return null;
    const user = await this.repo.findUserById(session.user_id);
    if (!user || user.cookie_id !== session.cookie_id || this.isBanned(user.name)) return null;
    const now = Date.now();
    if (now - Date.parse(session.last_seen) > 60_000) await this.repo.touchSession(session.id_hash, new Date(now).toISOString());
    return { session, user };
  }

  async destroy(session: SessionRow): Promise<void> {
    await this.repo.deleteSession(session.id_hash);
    // OAuth tokens handed to user servers in this browser session end with it.
    await this.repo.deleteTokensOfSession(session.session_id);
  }

  get maxAgeSeconds(): number {
    return Math.round(this.maxAgeDays * 86400);
  }
}

/** Failed-login throttle per (username, client address): in memory, as a restart may reset it. */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  constructor(private readonly maxFailures: number, private readonly windowSeconds: number) {}

  private recent(key: string): number[] {
    const cutoff = Date.now() - this.windowSeconds * 1000;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Seconds to wait before the next attempt, or 0 if allowed. */
  retryAfter(username: string, address: string): number {
    const list = this.recent(`${username}\u0000${address}`);
    if (list.length < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((list[0] + this.windowSeconds * 1000 - Date.now()) / 1000));
  }

  fail(username: string, address: string): void {
    const key = `${username}\u0000${address}`;
    this.failures.set(key, [...this.recent(key), Date.now()]);
    if (this.failures.size > 100_000) this.failures.clear(); // bound memory under a flood
  }

  succeed(username: string, address: string): void {
    this.failures.delete(`${username}\u0000${address}`);
  }
}

/**
 * Set-Cookie headers that expire every copy of the hub's cookies a request carries twice (a tossed one, see
 * parseCookies) on every path the browser could have sent them for: the request path and each folder above it.
 */
export function clearTossedCookies(header: string | undefined, urlPath: string, secure: boolean): string[] {
  if (!header) return [];
  const counts = new Map<string, number>();
  for (const part of header.split(';')) {
    const name = part.slice(0, Math.max(0, part.indexOf('='))).trim();
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const names = [LOGIN_COOKIE, LOGIN_XSRF_COOKIE, SESSION_ID_COOKIE].filter((n) => (counts.get(n) ?? 0) > 1);
  if (!names.length) return [];
  const paths = new Set<string>(['/']);
  const parts = urlPath.split('?')[0].split('/').filter(Boolean).slice(0, 8);
  for (let i = 1; i <= parts.length; i++) {
    const p = `/${parts.slice(0, i).join('/')}`;
    paths.add(p);
    paths.add(`${p}/`);
  }
  return names.flatMap((n) => [...paths].map((p) => serializeCookie(n, '', { path: p, maxAgeSeconds: 0, secure })));
}
