import type { FastifyRequest } from 'fastify';
import { decide, tokenScopes, userRoleScopes, type ScopeTarget } from '../auth/scopes.ts';
import { LOGIN_COOKIE, parseCookies } from '../auth/sessions.ts';
import { nowIso, type SessionRow, type TokenRow, type UserRow } from '../db/index.ts';
import type { HubContext } from './context.ts';
import { ApiError } from './http.ts';

export interface Identity {
  user: UserRow;
  scopes: Set<string>;
  token?: TokenRow;
  session?: SessionRow;
  via: 'token' | 'cookie';
}

const AUTH_HEADER = /^(?:token|bearer)\s+([^\s]+)$/i;
const ACTIVITY_RESOLUTION_MS = 30_000;

export function tokenFromHeader(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = AUTH_HEADER.exec(header.trim());
  return m ? m[1] : null;
}

export async function identityFromToken(ctx: HubContext, secret: string): Promise<Identity | null> {
  const token = await ctx.repo.findTokenBySecret(secret);
  if (!token) return null;
  const user = await ctx.repo.findUserById(token.user_id);
  if (!user || ctx.hubUsers.isBanned(user.name)) return null;
  const now = Date.now();
  if (!token.last_activity || now - Date.parse(token.last_activity) > ACTIVITY_RESOLUTION_MS) {
    const iso = new Date(now).toISOString();
    await ctx.repo.touchToken(token.id, iso);
    // A server's own token is not the user being active.
    if (!token.note.startsWith('Server at ')) await ctx.repo.bumpUserActivity(user.id, iso);
  }
  const scopes = tokenScopes(JSON.parse(token.scopes), JSON.parse(token.roles), user.name, !!user.admin, await ctx.hubUsers.groupRoles(user));
  return { user, scopes, token, via: 'token' };
}

/**
 * Cookie auth on the API counts only for same-origin calls (JupyterHub's Referer rule) or with the
 * session's XSRF token in `X-XSRFToken`; anything else is anonymous, which defeats CSRF.
 */
function cookieAllowed(ctx: HubContext, req: FastifyRequest, session: SessionRow): boolean {
  const xsrf = req.headers['x-xsrftoken'];
  if (typeof xsrf === 'string' && xsrf === session.xsrf) return true;
  const referer = req.headers.referer;
  const host = req.headers.host;
  if (!referer || !host) return false;
  let ref: URL;
  try {
    ref = new URL(referer);
  } catch {
    return false;
  }
  if (ref.host !== host || !ref.pathname.startsWith(`${ctx.urls.baseUrl}hub/`)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim();
    if (type && type !== 'application/json') return false;
  }
  return true;
}

export async function identify(ctx: HubContext, req: FastifyRequest): Promise<Identity | null> {
  const secret = tokenFromHeader(req);
  if (secret) return identityFromToken(ctx, secret);
  const cookie = parseCookies(req.headers.cookie)[LOGIN_COOKIE];
  if (!cookie) return null;
  const resolved = await ctx.sessions.resolve(cookie);
  if (!resolved || !cookieAllowed(ctx, req, resolved.session)) return null;
  const now = nowIso();
  await ctx.repo.bumpUserActivity(resolved.user.id, now);
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
