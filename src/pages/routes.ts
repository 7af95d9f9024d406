import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  LOGIN_COOKIE, LOGIN_XSRF_COOKIE, parseCookies, randomToken, serializeCookie, SESSION_ID_COOKIE,
} from '../auth/sessions.ts';
import { AuthServiceError, OidcAuthenticator, usernameProblem, type AuthenticatedUser } from '../auth/index.ts';
import { oidcLoginPage, registerOidcRoutes } from './oidc-login.ts';
import { registerFramePage } from './frame.ts';
import { nowIso, type SessionRow, type UserRow } from '../db/index.ts';
import type { HubContext } from '../api/context.ts';
import { escapeHtml, page } from './html.ts';
import { form } from './forms.ts';
import { registerSpawnPages } from './spawn.ts';

function isSecure(req: FastifyRequest): boolean {
  return String(req.headers['x-forwarded-proto'] ?? req.protocol).split(',')[0].trim() === 'https';
}

/** `next` may only be a path on this site: no scheme, no host, no '//' or backslash tricks. */
export function safeNext(next: unknown, fallback: string): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return fallback;
  if (/[\x00-\x1f]/.test(next)) return fallback;
  return next;
}


export function registerPageRoutes(app: FastifyInstance, ctx: HubContext): void {
  const base = ctx.urls.baseUrl;
  const hub = `${base}hub/`;

  async function current(req: FastifyRequest): Promise<{ user: UserRow; session: SessionRow } | null> {
    return ctx.sessions.resolve(parseCookies(req.headers.cookie)[LOGIN_COOKIE]);
  }

  function loginPage(reply: FastifyReply, req: FastifyRequest, next: string, message = '', status = 200, username = '') {
    const xsrf = parseCookies(req.headers.cookie)[LOGIN_XSRF_COOKIE] || randomToken(16);
    reply.header('Set-Cookie', serializeCookie(LOGIN_XSRF_COOKIE, xsrf, { path: hub, secure: isSecure(req), sameSite: 'Strict' }));
    return reply.code(status).type('text/html').send(page('Sign in', `
      ${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ''}
      <form method="post" action="${hub}login?next=${encodeURIComponent(next)}">
        <input type="hidden" name="_xsrf" value="${escapeHtml(xsrf)}">
        <label for="username">Username</label><input type="text" id="username" name="username" value="${escapeHtml(username)}" autocomplete="username" autofocus required>
        <label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
        <button type="submit">Sign in</button>
      </form>`, base));
  }

  app.get(`${hub}login`, async (req, reply) => {
    const next = safeNext((req.query as Record<string, string>).next, `${hub}home`);
    if (await current(req)) return reply.redirect(next, 302);
    if (ctx.authenticator instanceof OidcAuthenticator) return oidcLoginPage(reply, ctx, ctx.authenticator, next);
    return loginPage(reply, req, next);
  });

  app.post(`${hub}login`, async (req, reply) => {
    const next = safeNext((req.query as Record<string, string>).next, `${hub}home`);
    const body = form(req);
    const cookieXsrf = parseCookies(req.headers.cookie)[LOGIN_XSRF_COOKIE];
    if (!cookieXsrf || body._xsrf !== cookieXsrf) {
      return loginPage(reply, req, next, 'Your sign-in form expired; please try again.', 403);
    }
    const username = (body.username ?? '').trim().toLowerCase();
    const password = body.password ?? '';
    const address = req.ip;
    const wait = ctx.throttle.retryAfter(username, address);
    if (wait > 0) {
      reply.header('Retry-After', String(wait));
      return loginPage(reply, req, next, `Too many failed sign-in attempts. Try again in ${wait} s.`, 429, username);
    }
    const problem = usernameProblem(username);
    let authed: AuthenticatedUser | null;
    try {
      authed = problem || !password ? null : await ctx.authenticator.authenticate(username, password);
    } catch (err) {
      if (!(err instanceof AuthServiceError)) throw err;
      ctx.log.error({ key: err.key, err: err.message }, 'the identity provider failed');
      ctx.metrics?.login(ctx.authenticator.kind, 'error');
      return loginPage(reply, req, next, 'Signing in is not working right now; an administrator has been told.', 503, username);
    }
    if (!authed) {
      ctx.metrics?.login(ctx.authenticator.kind, 'failure');
      ctx.throttle.fail(username, address);
      ctx.log.info({ user: username.slice(0, 64), address }, 'failed login');
      return loginPage(reply, req, next, 'Invalid username or password.', 403, username);
    }
    ctx.throttle.succeed(username, address);
    let user: UserRow | null;
    try {
      user = await ctx.hubUsers.ensure(authed.name, authed.systemGroups, authed.providerGroups);
    } catch (err) {
      ctx.log.error({ user: authed.name, err: (err as Error).message }, 'could not set up the account of a new user');
      return loginPage(reply, req, next, 'Your account could not be set up; an administrator has been told.', 500, username);
    }
    if (!user) return loginPage(reply, req, next, ctx.hubUsers.loginRefusal(authed.name) ?? 'This account may not use Plasma.', 403, username);
    return signIn(req, reply, user, next);
  });

  /** A user who proved who they are gets a session (form logins and the OIDC callback alike). */
  async function signIn(req: FastifyRequest, reply: FastifyReply, user: UserRow, next: string) {
    await ctx.repo.updateUser(user.id, { last_login: nowIso() });
    const { cookieValue, session } = await ctx.sessions.create(user);
    const secure = isSecure(req);
    reply.header('Set-Cookie', [
      serializeCookie(LOGIN_COOKIE, cookieValue, { path: hub, maxAgeSeconds: ctx.sessions.maxAgeSeconds, secure }),
      serializeCookie(SESSION_ID_COOKIE, session.session_id, { path: base, secure }),
      serializeCookie(LOGIN_XSRF_COOKIE, '', { path: hub, maxAgeSeconds: 0, secure }),
    ]);
    ctx.log.info({ user: user.name, authenticator: ctx.authenticator.kind }, 'login');
    ctx.metrics?.login(ctx.authenticator.kind, 'success');
    return reply.redirect(next, 302);
  }
  registerOidcRoutes(app, ctx, signIn);

  const logout = async (req: FastifyRequest, reply: FastifyReply) => {
    const resolved = await current(req);
    if (resolved) await ctx.sessions.destroy(resolved.session);
    const secure = isSecure(req);
    reply.header('Set-Cookie', [
      serializeCookie(LOGIN_COOKIE, '', { path: hub, maxAgeSeconds: 0, secure }),
      serializeCookie(SESSION_ID_COOKIE, '', { path: base, maxAgeSeconds: 0, secure }),
    ]);
    return reply.redirect(`${hub}login`, 302);
  };
  app.get(`${hub}logout`, logout);

  const requireLogin = async (req: FastifyRequest, reply: FastifyReply) => {
    const resolved = await current(req);
    if (!resolved) {
      await reply.redirect(`${hub}login?next=${encodeURIComponent(req.url)}`, 302);
      return null;
    }
    return resolved;
  };

  app.get(`${hub}home`, async (req, reply) => {
    const me = await requireLogin(req, reply);
    if (!me) return reply;
    const servers = await ctx.repo.serversOf(me.user.id);
    const rows = servers.filter((s) => s.status !== 'stopped' || s.name === '').map((s) => {
      const running = s.status === 'running';
      return `<tr><td>${escapeHtml(s.name || '(default)')}</td><td>${escapeHtml(s.status)}</td>
        <td>${running ? `<a href="${escapeHtml(s.base_url)}">Open</a>` : ''}</td></tr>`;
    }).join('');
    const defaultServer = servers.find((s) => s.name === '');
    const running = defaultServer?.status === 'running';
    return reply.type('text/html').send(page('Home', `
      ${defaultServer?.last_error ? `<p class="error">Last start failed: ${escapeHtml(defaultServer.last_error)}</p>` : ''}
      <table><tr><th>Server</th><th>Status</th><th></th></tr>${rows || '<tr><td colspan="3">No server yet.</td></tr>'}</table>
      <p>${running ? `<a href="${escapeHtml(defaultServer!.base_url)}">Open my server</a>` : `<a class="button" href="${hub}spawn">Start my server</a>`}</p>
      ${running ? `<form method="post" action="${hub}stop"><input type="hidden" name="_xsrf" value="${escapeHtml(me.session.xsrf)}"><button class="secondary" type="submit">Stop my server</button></form>` : ''}
    `, base, me.user.name));
  });

  registerSpawnPages(app, ctx, requireLogin);
  registerFramePage(app, ctx, requireLogin);

  app.post(`${hub}stop`, async (req, reply) => {
    const me = await requireLogin(req, reply);
    if (!me) return reply;
    if (form(req)._xsrf !== me.session.xsrf) return reply.code(403).type('text/html').send(page('Forbidden', '<p>The form expired.</p>', base, me.user.name));
    await ctx.servers.stop(me.user, '', { waitMs: 30_000 }).catch(() => undefined);
    return reply.redirect(`${hub}home`, 303);
  });

  // A stopped server's URL lands here through the proxy's '/' route (JupyterHub's UserUrlHandler).
  app.get(`${hub}user/*`, async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    const [name, maybeServer] = rest.split('/');
    const wantsJson = String(req.headers.accept ?? '').includes('application/json') || rest.split('?')[0].includes('/api/');
    const me = await current(req);
    const owner = await ctx.repo.findUser(decodeURIComponent(name ?? ''));
    const named = ctx.config.spawner.named_servers.enabled && maybeServer && owner
      ? await ctx.repo.findServer(owner.id, maybeServer) : undefined;
    const server = owner ? named ?? (await ctx.repo.findServer(owner.id, '')) : undefined;
    const redirects = Number((req.query as Record<string, string>).redirects ?? 0);
    if (server && server.status === 'running' && redirects < 5) {
      const url = new URL(req.url, 'http://x');
      url.pathname = url.pathname.slice(`${base}hub`.length);
      url.searchParams.set('redirects', String(redirects + 1));
      return reply.redirect(url.pathname + url.search, 302);
    }
    if (server && server.status === 'spawning') return reply.redirect(`${hub}spawn-pending/${encodeURIComponent(owner!.name)}`, 303);
    const message = owner ? `${owner.name}'s server is not running` : 'No such user';
    if (wantsJson) return reply.code(424).type('application/json').send(JSON.stringify({ status: 424, message }));
    if (!me) return reply.redirect(`${hub}login?next=${encodeURIComponent(req.url)}`, 302);
    return reply.code(424).type('text/html').send(page('Server not running', `<p>${escapeHtml(message)}.</p>
      ${me.user.name === owner?.name ? `<p><a href="${hub}home">Start it from your home page</a>.</p>` : ''}`, base, me.user.name));
  });

  // Error pages the proxy fetches for its own errors (CHP's --error-target).
  app.get<{ Params: { code: string } }>(`${hub}error/:code`, async (req, reply) => {
    const code = Number(req.params.code);
    const status = code >= 400 && code < 600 ? code : 500;
    const text = status === 404 ? 'Nothing is served at this address.' : status === 503 ? 'The server behind this address is not answering. It may be starting or stopping; try again in a moment.' : 'Something went wrong.';
    return reply.code(status).type('text/html').send(page(`${status}`, `<p>${escapeHtml(text)}</p><p><a href="${hub}home">Back to your home page</a></p>`, base));
  });

  app.get(`${hub}`, async (_req, reply) => reply.redirect(`${hub}home`, 302));
  if (base !== '/') app.get(base, async (_req, reply) => reply.redirect(`${hub}home`, 302));
  app.get('/', async (_req, reply) => reply.redirect(`${hub}home`, 302));
  // /user/... reaching the hub means no route: the server is not running.
  app.get(`${base}user/*`, async (req, reply) => reply.redirect(`${hub}${req.url.slice(base.length)}`, 302));
}
