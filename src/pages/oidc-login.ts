import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthServiceError, OidcAuthenticator } from '../auth/index.ts';
import { parseCookies, serializeCookie } from '../auth/sessions.ts';
import type { UserRow } from '../db/index.ts';
import type { HubContext } from '../api/context.ts';
import { strings } from './html.ts';
import { loginPage } from './login.ts';
import { safeNext } from './forms.ts';

const STATE_COOKIE = 'plasma-oidc-state';

type SignIn = (req: FastifyRequest, reply: FastifyReply, user: UserRow, next: string) => Promise<unknown>;

function origin(req: FastifyRequest): string {
  const proto = String(req.headers['x-forwarded-proto'] ?? req.protocol).split(',')[0].trim();
  const host = String(req.headers['x-forwarded-host'] ?? req.headers.host ?? '127.0.0.1').split(',')[0].trim();
  return `${proto}://${host}`;
}

/** The sign-in page with OIDC: one button to the identity provider (no password is typed into Plasma). */
export function oidcLoginPage(reply: FastifyReply, ctx: HubContext, auth: OidcAuthenticator, next: string, message = '', status = 200) {
  const hub = `${ctx.urls.baseUrl}hub/`;
  const provider = { href: `${hub}oauth_login?next=${encodeURIComponent(next)}`, buttonText: auth.buttonText };
  return reply.code(status).header('Cache-Control', 'no-store').type('text/html')
    .send(loginPage({ baseUrl: ctx.urls.baseUrl, next, xsrf: '', message, provider, announcement: ctx.config.ui.announcement }));
}

/** /hub/oauth_login sends the browser to the provider; /hub/oauth_callback is where it comes back. */
export function registerOidcRoutes(app: FastifyInstance, ctx: HubContext, signIn: SignIn): void {
  const auth = ctx.authenticator;
  if (!(auth instanceof OidcAuthenticator)) return;
  const hub = `${ctx.urls.baseUrl}hub/`;
  const failed = (reply: FastifyReply, err: unknown, next: string) => {
    if (!(err instanceof AuthServiceError)) throw err;
    ctx.log.error({ key: err.key, err: err.message }, 'the identity provider failed');
    ctx.metrics?.login('oidc', 'error');
    return oidcLoginPage(reply, ctx, auth, next, strings.login.serviceDown, 503);
  };

  app.get(`${hub}oauth_login`, async (req, reply) => {
    const next = safeNext((req.query as Record<string, string>).next, `${hub}home`);
    try {
      const { url, state } = await auth.begin(`${origin(req)}${hub}oauth_callback`, next);
      const secure = origin(req).startsWith('https:');
      reply.header('Set-Cookie', serializeCookie(STATE_COOKIE, state, { path: `${hub}oauth_callback`, maxAgeSeconds: 600, secure }));
      return reply.redirect(url, 302);
    } catch (err) {
      return failed(reply, err, next);
    }
  });

  app.get(`${hub}oauth_callback`, async (req, reply) => {
    const secure = origin(req).startsWith('https:');
    reply.header('Set-Cookie', serializeCookie(STATE_COOKIE, '', { path: `${hub}oauth_callback`, maxAgeSeconds: 0, secure }));
    let outcome;
    try {
      outcome = await auth.finish(new URL(req.url, origin(req)), parseCookies(req.headers.cookie)[STATE_COOKIE]);
    } catch (err) {
      return failed(reply, err, `${hub}home`);
    }
    const next = outcome.next || `${hub}home`;
    if (!outcome.user) {
      ctx.metrics?.login('oidc', 'failure');
      return oidcLoginPage(reply, ctx, auth, next, outcome.problem ?? 'Sign-in failed.', 403);
    }
    let user: UserRow | null;
    try {
      user = await ctx.hubUsers.ensure(outcome.user.name, undefined, outcome.user.providerGroups);
    } catch (err) {
      ctx.log.error({ user: outcome.user.name, err: (err as Error).message }, 'could not set up the account of a new user');
      return oidcLoginPage(reply, ctx, auth, next, strings.login.setupFailed, 500);
    }
    if (!user) return oidcLoginPage(reply, ctx, auth, next, ctx.hubUsers.loginRefusal(outcome.user.name) ?? 'This account may not use Plasma.', 403);
    return signIn(req, reply, user, next);
  });
}
