import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { holds, tokenScopes, userRoleScopes } from '../auth/scopes.ts';
import { LOGIN_COOKIE, parseCookies, serializeCookie, SESSION_ID_COOKIE } from '../auth/sessions.ts';
import { hashSecret, nowIso, type OAuthClientRow, type SessionRow, type UserRow } from '../db/index.ts';
import type { HubContext } from '../api/context.ts';
import { rawBody } from '../api/http.ts';
import { escapeHtml, page } from '../pages/html.ts';

const CODE_TTL_MS = 300_000;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** oauthlib's default: 30 random alphanumerics. */
function randomCode(length = 30): string {
  const bytes = crypto.randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}

function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.code(status).header('Cache-Control', 'no-store').header('Pragma', 'no-cache')
    .type('application/json').send(JSON.stringify({ error, error_description: description }));
}

function isSecure(req: FastifyRequest): boolean {
  return String(req.headers['x-forwarded-proto'] ?? req.protocol).split(',')[0].trim() === 'https';
}

/** The OAuth2 provider user servers log users in with (JupyterHub's /hub/api/oauth2/*). */
export function registerOAuthRoutes(app: FastifyInstance, ctx: HubContext): void {
  const base = ctx.urls.baseUrl;

  async function sessionUser(req: FastifyRequest): Promise<{ user: UserRow; session: SessionRow } | null> {
    return ctx.sessions.resolve(parseCookies(req.headers.cookie)[LOGIN_COOKIE]);
  }

  async function clientAndServer(client: OAuthClientRow) {
    if (client.server_id === null) return null;
    const server = await ctx.repo.findServerById(client.server_id);
    if (!server) return null;
    const owner = await ctx.repo.findUserById(server.user_id);
    return owner ? { server, owner } : null;
  }

  async function issueCode(req: FastifyRequest, reply: FastifyReply, user: UserRow, session: SessionRow, client: OAuthClientRow, redirectUri: string, state: string | undefined, ownerName: string, serverName: string) {
    const scopes = [`read:users:name!user=${user.name}`, `read:users:groups!user=${user.name}`, `access:servers!server=${ownerName}/${serverName}`];
    const code = randomCode();
    await ctx.repo.insertCode({
      code_hash: hashSecret(code), client_id: client.identifier, user_id: user.id, scopes: JSON.stringify(scopes),
      session_id: session.session_id, redirect_uri: redirectUri, expires_at: new Date(Date.now() + CODE_TTL_MS).toISOString(),
    });
    const params = new URLSearchParams({ code });
    if (state !== undefined) params.set('state', state);
    reply.header('Set-Cookie', serializeCookie(SESSION_ID_COOKIE, session.session_id, { path: base, httpOnly: true, secure: isSecure(req) }));
    return reply.redirect(`${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${params}`, 302);
  }

  const authorize = async (req: FastifyRequest, reply: FastifyReply) => {
    const isPost = req.method === 'POST';
    const q = (isPost ? Object.fromEntries(new URLSearchParams(rawBody(req)?.toString('utf8') ?? '')) : req.query) as Record<string, string | undefined>;
    const resolved = await sessionUser(req);
    if (!resolved) {
      return reply.redirect(`${base}hub/login?next=${encodeURIComponent(req.url)}`, 302);
    }
    const { user, session } = resolved;
    const clientId = q.client_id ?? '';
    const client = clientId ? await ctx.repo.findClient(clientId) : undefined;
    if (!client) return reply.code(400).type('text/html').send(page('Login failed', `<p>Unknown OAuth client ${escapeHtml(clientId)}.</p>`, base));
    if ((q.redirect_uri ?? '') !== client.redirect_uri) {
      return reply.code(400).type('text/html').send(page('Login failed', '<p>The redirect_uri does not match this client.</p>', base));
    }
    if ((q.response_type ?? 'code') !== 'code') {
      return reply.code(400).type('text/html').send(page('Login failed', '<p>Only response_type=code is supported.</p>', base));
    }
    const target = await clientAndServer(client);
    if (!target) return reply.code(400).type('text/html').send(page('Login failed', '<p>This server no longer exists.</p>', base));
    const held = userRoleScopes(user.name, !!user.admin);
    if (!holds(held, 'access:servers', { user: target.owner.name, server: target.server.name })) {
      return reply.code(403).type('text/html').send(page('Forbidden', `<p>${escapeHtml(user.name)} may not use this server.</p>`, base));
    }
    if (target.owner.id === user.id) {
      return issueCode(req, reply, user, session, client, client.redirect_uri, q.state, target.owner.name, target.server.name);
    }
    // Someone else's server (an admin): ask first, as JupyterHub does.
    if (isPost && q._xsrf === session.xsrf && q.confirm === 'yes') {
      ctx.log.info({ by: user.name, user: target.owner.name, server: target.server.name }, 'access to another user\'s server granted');
      return issueCode(req, reply, user, session, client, client.redirect_uri, q.state, target.owner.name, target.server.name);
    }
    const hidden = (name: string, value: string | undefined) =>
      value === undefined ? '' : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
    return reply.type('text/html').send(page('Authorize access', `
      <p>Open <strong>${escapeHtml(target.owner.name)}</strong>'s server as <strong>${escapeHtml(user.name)}</strong>?</p>
      <form method="post" action="${base}hub/api/oauth2/authorize">
        ${hidden('client_id', client.identifier)}${hidden('redirect_uri', client.redirect_uri)}${hidden('response_type', 'code')}
        ${hidden('state', q.state)}${hidden('_xsrf', session.xsrf)}${hidden('confirm', 'yes')}
        <button type="submit">Authorize</button>
      </form>`, base));
  };

  app.get(`${base}hub/api/oauth2/authorize`, authorize);
  app.post(`${base}hub/api/oauth2/authorize`, authorize);

  app.post(`${base}hub/api/oauth2/token`, async (req, reply) => {
    const form = Object.fromEntries(new URLSearchParams(rawBody(req)?.toString('utf8') ?? ''));
    let clientId = form.client_id;
    let clientSecret = form.client_secret;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic && (!clientId || !clientSecret)) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      clientId ??= decodedOrRaw(id ?? '');
      clientSecret ??= decodedOrRaw(secret ?? '');
    }
    if (form.grant_type !== 'authorization_code') return oauthError(reply, 400, 'unsupported_grant_type', 'grant_type must be authorization_code');
    const client = clientId ? await ctx.repo.findClient(clientId) : undefined;
    if (!client || !clientSecret || hashSecret(clientSecret) !== client.secret_hash) {
      return oauthError(reply, 401, 'invalid_client', 'unknown client or wrong client secret');
    }
    if (!form.code) return oauthError(reply, 400, 'invalid_request', 'code is required');
    const code = await ctx.repo.takeCode(form.code);
    if (!code || code.client_id !== client.identifier || code.expires_at < nowIso()) {
      return oauthError(reply, 400, 'invalid_grant', 'the code is invalid, expired or already used');
    }
    if ((form.redirect_uri ?? code.redirect_uri) !== code.redirect_uri) {
      return oauthError(reply, 400, 'invalid_grant', 'redirect_uri does not match the authorization request');
    }
    const user = await ctx.repo.findUserById(code.user_id);
    if (!user) return oauthError(reply, 400, 'invalid_grant', 'the user no longer exists');
    const accessToken = randomCode();
    const expiresIn = Math.round(ctx.config.hub.cookie_max_age_days * 86400);
    const scopes = JSON.parse(code.scopes) as string[];
    await ctx.repo.insertToken({
      userId: user.id, token: accessToken, note: `OAuth token for ${client.description}`, scopes, clientId: client.identifier,
      sessionId: code.session_id, expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString(),
    });
    const granted = [...tokenScopes(scopes, [], user.name, !!user.admin)].sort();
    return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache').type('application/json')
      .send(JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: granted.join(' ') }));
  });
}

/** Basic credentials are form-encoded (RFC 6749 2.3.1); a malformed one is taken as is and then fails to match. */
function decodedOrRaw(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
