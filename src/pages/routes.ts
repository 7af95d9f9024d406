import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  LOGIN_COOKIE, LOGIN_XSRF_COOKIE, parseCookies, randomToken, serializeCookie, SESSION_ID_COOKIE,
} from '../auth/sessions.ts';
import { AuthServiceError, OidcAuthenticator, usernameProblem, type AuthenticatedUser } from '../auth/index.ts';
import { nowIso, type SessionRow, type UserRow } from '../db/index.ts';
import type { HubContext } from '../api/context.ts';
import { registerAppRoutes } from './app-routes.ts';
import { form, isSecure, safeNext } from './forms.ts';
import { sendPage } from './compress.ts';
import { escapeHtml, page, strings } from './html.ts';
import { loginPage } from './login.ts';
import { registerLogoRoutes } from './logo.ts';
import { oidcLoginPage, registerOidcRoutes } from './oidc-login.ts';
import { SpaShell, UI_DIR } from './spa.ts';
import { registerStaticAssets } from './static.ts';

export { safeNext };

export type CurrentUser = (req: FastifyRequest) => Promise<{ user: UserRow; session: SessionRow } | null>;

/** The hub's pages: sign-in and sign-out (server-rendered forms), the app shell, its assets, the logo, errors. */
export function registerPageRoutes(app: FastifyInstance, ctx: HubContext): void {
  const base = ctx.urls.baseUrl;
  const hub = `${base}hub/`;
  const s = strings.login;

  const current: CurrentUser = async (req) => ctx.sessions.resolve(parseCookies(req.headers.cookie)[LOGIN_COOKIE]);

  function renderLogin(reply: FastifyReply, req: FastifyRequest, next: string, message = '', status = 200, username = '', retryAfter = 0) {
    const xsrf = parseCookies(req.headers.cookie)[LOGIN_XSRF_COOKIE] || randomToken(16);
    reply.header('Set-Cookie', serializeCookie(LOGIN_XSRF_COOKIE, xsrf, { path: hub, secure: isSecure(req), sameSite: 'Strict' }));
    reply.header('Cache-Control', 'no-store').code(status);
    return sendPage(req, reply, loginPage({ baseUrl: base, next, xsrf, message, username, retryAfter, announcement: ctx.config.ui.announcement }));
  }

  app.get(`${hub}login`, async (req, reply) => {
    const next = safeNext((req.query as Record<string, string>).next, `${hub}home`);
    if (await current(req)) return reply.redirect(next, 302);
    if (ctx.authenticator instanceof OidcAuthenticator) return oidcLoginPage(reply, ctx, ctx.authenticator, next);
    return renderLogin(reply, req, next);
  });

  app.post(`${hub}login`, async (req, reply) => {
    const next = safeNext((req.query as Record<string, string>).next, `${hub}home`);
    const body = form(req);
    const cookieXsrf = parseCookies(req.headers.cookie)[LOGIN_XSRF_COOKIE];
    if (!cookieXsrf || body._xsrf !== cookieXsrf) return renderLogin(reply, req, next, s.expired, 403);
    const username = (body.username ?? '').trim().toLowerCase();
    const password = body.password ?? '';
    const address = req.ip;
    const wait = ctx.throttle.retryAfter(username, address);
    if (wait > 0) {
      reply.header('Retry-After', String(wait));
      return renderLogin(reply, req, next, s.throttled(wait), 429, username, wait);
    }
    const problem = usernameProblem(username);
    let authed: AuthenticatedUser | null;
    try {
      authed = problem || !password ? null : await ctx.authenticator.authenticate(username, password);
    } catch (err) {
      if (!(err instanceof AuthServiceError)) throw err;
      ctx.log.error({ key: err.key, err: err.message }, 'the identity provider failed');
      ctx.metrics?.login(ctx.authenticator.kind, 'error');
      return renderLogin(reply, req, next, s.serviceDown, 503, username);
    }
    if (!authed) {
      ctx.metrics?.login(ctx.authenticator.kind, 'failure');
      ctx.throttle.fail(username, address);
      ctx.log.info({ user: username.slice(0, 64), address }, 'failed login');
      return renderLogin(reply, req, next, s.invalid, 403, username);
    }
    ctx.throttle.succeed(username, address);
    let user: UserRow | null;
    try {
      user = await ctx.hubUsers.ensure(authed.name, authed.systemGroups, authed.providerGroups);
    } catch (err) {
      ctx.log.error({ user: authed.name, err: (err as Error).message }, 'could not set up the account of a new user');
      return renderLogin(reply, req, next, s.setupFailed, 500, username);
    }
    if (!user) return renderLogin(reply, req, next, ctx.hubUsers.loginRefusal(authed.name) ?? s.notAllowed, 403, username);
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
    const secure = isSecure(req);
    // The browser's sessions with servers end too (CVE-2021-41247): their OAuth tokens are revoked with the session,
    // and jupyterhub-singleuser's cookies (named after each server's OAuth client, on its prefix) are expired, so
    // the next visit signs in again instead of riding on a cached token. The user's own servers, and any other
    // server this session signed in to (an admin's visit to a student's).
    const servers = new Map<string, string>();
    if (resolved) {
      for (const s of await ctx.repo.serversOf(resolved.user.id)) {
        servers.set(ctx.servers.clientIdFor(resolved.user.name, s.name), ctx.servers.prefixFor(resolved.user.name, s.name));
      }
      for (const c of await ctx.repo.clientsOfSession(resolved.session.session_id)) {
        servers.set(c.identifier, new URL(c.redirect_uri, 'http://hub').pathname.replace(/oauth_callback$/, ''));
      }
      await ctx.sessions.destroy(resolved.session);
    }
    const serverCookies = [...servers].flatMap(([client, path]) =>
      [client, `${client}-oauth-state`].map((name) => serializeCookie(name, '', { path, maxAgeSeconds: 0, secure })));
    reply.header('Set-Cookie', [
      serializeCookie(LOGIN_COOKIE, '', { path: hub, maxAgeSeconds: 0, secure }),
      serializeCookie(SESSION_ID_COOKIE, '', { path: base, maxAgeSeconds: 0, secure }),
      ...serverCookies,
    ]);
    return reply.redirect(`${hub}login`, 302);
  };
  app.get(`${hub}logout`, logout);
  app.post(`${hub}logout`, logout);

  registerLogoRoutes(app, ctx);
  registerStaticAssets(app, hub, path.join(UI_DIR, 'assets'));
  registerAppRoutes(app, ctx, new SpaShell(ctx), current);

  // Error pages the proxy fetches for its own errors (CHP's --error-target).
  app.get<{ Params: { code: string } }>(`${hub}error/:code`, async (req, reply) => {
    // Only the codes the proxy asks for; anything else is no page at all.
    if (!/^[45]\d\d$/.test(req.params.code)) return reply.code(404).type('text/html').send(page('404', `<p>${escapeHtml(strings.errors.notFound)}</p>`, base));
    const status = Number(req.params.code);
    const e = strings.errors;
    const text = status === 404 ? e.notFound : status === 503 ? e.unavailable : e.generic;
    return reply.code(status).type('text/html').send(page(`${status}`, `<p>${escapeHtml(text)}</p><p><a href="${hub}home">${e.back}</a></p>`, base));
  });

  app.get(`${hub}`, async (_req, reply) => reply.redirect(`${hub}home`, 302));
  if (base !== '/') app.get(base, async (_req, reply) => reply.redirect(`${hub}home`, 302));
  app.get('/', async (_req, reply) => reply.redirect(`${hub}home`, 302));
  // /user/... reaching the hub means no route: the server is not running.
  app.get(`${base}user/*`, async (req, reply) => reply.redirect(`${hub}${req.url.slice(base.length)}`, 302));
}
