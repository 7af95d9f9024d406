import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { decide, holds, ROLE_SCOPES, tokenScopes, userRoleScopes, type ScopeTarget } from '../auth/scopes.ts';
import { LOGIN_COOKIE, parseCookies } from '../auth/sessions.ts';
import { nowIso, type SessionRow, type TokenRow, type UserRow } from '../db/index.ts';
import type { HubContext } from './context.ts';
import { IdentityCache } from './identity-cache.ts';
import { ApiError } from './http.ts';

export interface Identity {
  user: UserRow;
  scopes: Set<string>;
  token?: TokenRow;
  session?: SessionRow;
  via: 'token' | 'cookie';
}

/** Who a token is: always with the token's row. */
export interface TokenIdentity extends Identity {
  token: TokenRow;
  via: 'token';
}

const AUTH_HEADER = /^(?:token|bearer)\s+([^\s]+)$/i;
const ACTIVITY_RESOLUTION_MS = 30_000;

export function tokenFromHeader(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = AUTH_HEADER.exec(header.trim());
  return m ? m[1] : null;
}

export async function identityFromToken(ctx: HubContext, secret: string): Promise<TokenIdentity | null> {
  const key = IdentityCache.keyOf(secret);
  const version = ctx.identities.version();
  const identity = ctx.identities.get(key, version) ?? (await loadTokenIdentity(ctx, secret));
  if (!identity) return null;
  const { token, user } = identity;
  const now = Date.now();
  if (ctx.hubUsers.isBanned(user.name) || (token.expires_at && Date.parse(token.expires_at) <= now)) return null;
  if (!token.last_activity || now - Date.parse(token.last_activity) > ACTIVITY_RESOLUTION_MS) {
    const iso = new Date(now).toISOString();
    await ctx.repo.touchToken(token.id, iso);
    // A server's own token is not the user being active.
    if (!token.note.startsWith('Server at ')) await ctx.repo.bumpUserActivity(user.id, iso);
    // Activity does not move the identity version: the kept copy says what was just written.
    identity.token = { ...token, last_activity: iso };
    if (!token.note.startsWith('Server at ') && (!user.last_activity || user.last_activity < iso)) identity.user = { ...user, last_activity: iso };
  }
  ctx.identities.set(key, version, identity);
  return identity;
}

async function loadTokenIdentity(ctx: HubContext, secret: string): Promise<TokenIdentity | null> {
  const token = await ctx.repo.findTokenBySecret(secret);
  if (!token) return null;
  const user = await ctx.repo.findUserById(token.user_id);
  if (!user) return null;
  const scopes = tokenScopes(JSON.parse(token.scopes), JSON.parse(token.roles), user.name, !!user.admin, await ctx.hubUsers.groupRoles(user));
  return { user, scopes, token, via: 'token' };
}

/**
 * Cookie auth on the API counts only with the session's XSRF token in `X-XSRFToken` (or `_xsrf` in the query, for
 * clients that cannot set headers); anything else is anonymous, which defeats CSRF. JupyterHub 3's Referer rule is not
 * enough here: a user's server shares the hub's origin, and its pages may send any same-origin Referer they like
 * (fetch's `referrer` option), so a student's notebook could act as whoever opens it.
 */
function cookieAllowed(req: FastifyRequest, session: SessionRow): boolean {
  const header = req.headers['x-xsrftoken'];
  const query = (req.query as Record<string, unknown> | undefined)?._xsrf;
  const given = typeof header === 'string' ? header : typeof query === 'string' ? query : '';
  return given.length > 0 && safeEqual(given, session.xsrf);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export async function identify(ctx: HubContext, req: FastifyRequest): Promise<Identity | null> {
  const secret = tokenFromHeader(req);
  if (secret) return identityFromToken(ctx, secret);
  const cookie = parseCookies(req.headers.cookie)[LOGIN_COOKIE];
  if (!cookie) return null;
  const resolved = await ctx.sessions.resolve(cookie);
  if (!resolved || !cookieAllowed(req, resolved.session)) return null;
  // Activity at JupyterHub's resolution (30 s), not a write on every request.
  const last = resolved.user.last_activity ? Date.parse(resolved.user.last_activity) : 0;
  if (Date.now() - last > ACTIVITY_RESOLUTION_MS) await ctx.repo.bumpUserActivity(resolved.user.id, nowIso());
  const scopes = userRoleScopes(resolved.user.name, !!resolved.user.admin, await ctx.hubUsers.groupRoles(resolved.user));
  return { user: resolved.user, session: resolved.session, scopes, via: 'cookie' };
}

/** Enforces "any of these scopes" for the target, with JupyterHub's 403 / 404 split. */
export function requireScopes(identity: Identity | null, required: string[], target: ScopeTarget = {}): Identity {
  if (!identity) throw new ApiError(403, `Missing or invalid credentials: requires any of [${required.map((s) => `'${s}'`).join(', ')}]`);
  const decision = decide(identity.scopes, required, target);
  if (decision === 'forbidden') {
    throw new ApiError(403, `Action is not authorized with current scopes; requires any of [${required.map((s) => `'${s}'`).join(', ')}]`);
  }
  if (decision === 'not-found') throw new ApiError(404, 'No access to resources or resources not found');
  return identity;
}

/**
 * Admin rights are only handed out, taken away or used on an admin account by someone who holds all of them
 * (CVE-2024-41942): `admin:users` alone (a token limited to it, a role) manages users, not admins.
 */
export function requireFullAdmin(identity: Identity, what: string): void {
  const missing = ROLE_SCOPES.admin.filter((scope) => !holds(identity.scopes, scope));
  if (missing.length) throw new ApiError(403, `Only an admin with all admin rights may ${what} (missing ${missing.slice(0, 3).join(', ')})`);
}
