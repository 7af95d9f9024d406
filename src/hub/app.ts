import Fastify, { type FastifyInstance } from 'fastify';
import { registerApi } from '../api/index.ts';
import { registerMetricsRoute } from '../api/routes/metrics.ts';
import type { HubContext } from '../api/context.ts';
import { JUPYTERHUB_VERSION } from '../api/http.ts';
import { clearTossedCookies } from '../auth/sessions.ts';
import { redactUrl } from '../log/index.ts';
import { isSecure } from '../pages/forms.ts';
import { registerOAuthRoutes } from '../oauth/provider.ts';
import { page } from '../pages/html.ts';
import { registerPageRoutes } from '../pages/routes.ts';
import { idleCollector } from '../system/idle-gc.ts';
import { lingerOnRefusedBody } from './refused-body.ts';

const BODY_LIMIT = 1024 * 1024;

const draining = new WeakSet<object>();

/**
 * Closes the app without the keep-alive race: a connection closed while idle may be the one a client is sending
 * its next request on, which then fails unanswered. So the listener closes first (new connections wait in the
 * backlog for the next hub), then for `graceMs` every answer on an open connection says `Connection: close`, so
 * its client moves on by itself; only what is still idle after that is closed. Resolves when the app is closed.
 */
export async function closeHubApp(app: FastifyInstance, graceMs: number, forceMs: number, endStreams: () => void): Promise<void> {
  draining.add(app.server);
  const closeIdle = app.server.closeIdleConnections.bind(app.server);
  app.server.closeIdleConnections = () => undefined; // node:http and fastify call it at once on close
  const closed = app.close();
  endStreams();
  await new Promise((r) => setTimeout(r, graceMs));
  app.server.closeIdleConnections = closeIdle;
  closeIdle();
  endStreams(); // any that began during the grace
  const force = setTimeout(() => app.server.closeAllConnections(), forceMs);
  await closed;
  clearTimeout(force);
}

/** The hub's HTTP application: REST API, OAuth provider and pages. */
export async function buildHubApp(ctx: HubContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    trustProxy: '127.0.0.1',
    // One string per query parameter, the last when it is repeated (as tornado's get_argument in JupyterHub): no
    // handler ever gets a list where it reads a string (?name_filter=a&name_filter=b was a 500).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500, querystringParser: lastValues },
    // While the hub shuts down for a successor (an upgrade), requests already on a connection are still served:
    // a 503 would reach the user, where a moment's wait does not.
    return503OnClosing: false,
  });
  // JupyterHub reads bodies whatever their content type: keep them raw and let each handler decide.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  // After a burst (a full listing of 10,000 users, a bulk import) the heap's young generation stays grown: give it
  // back once the hub is quiet, as the proxy does. Reused answers (up to 8 MB) go too: they pay off while a page or
  // a script polls; once the hub has been quiet for seconds, the next poll builds its answer again in milliseconds.
  const idle = idleCollector(2000, () => ctx.answers.clear());
  app.addHook('onClose', async () => idle.stop());
  app.addHook('onRequest', async (req, reply) => {
    idle.busy();
    reply.header('X-JupyterHub-Version', JUPYTERHUB_VERSION);
    // Cookies tossed in by a user's server are ignored (parseCookies) and expired here, so the user can sign in again.
    const clear = clearTossedCookies(req.headers.cookie, req.url, isSecure(req));
    if (clear.length) {
      ctx.log.warn({ url: redactUrl(req.url) }, 'a request carried a hub cookie twice (cookie tossing?): ignored and cleared');
      reply.header('Set-Cookie', clear);
    }
  });
  // The hub's pages may be framed by its own pages only (the app frames the OAuth confirmation), as JupyterHub's.
  app.addHook('onSend', async (req, reply, payload) => {
    if (draining.has(app.server)) reply.header('Connection', 'close');
    lingerOnRefusedBody(req, reply);
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('Content-Security-Policy', "frame-ancestors 'self'");
      reply.header('X-Content-Type-Options', 'nosniff');
    }
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics?.request(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    ctx.log.debug({ method: req.method, url: redactUrl(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  await registerApi(app, ctx);
  registerMetricsRoute(app, ctx);
  registerOAuthRoutes(app, ctx);
  registerPageRoutes(app, ctx);

  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).type('text/html').send(page('404', '<p>Nothing is served at this address.</p>', ctx.urls.baseUrl)));
  app.setErrorHandler((err, req, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) ctx.log.error({ err, url: redactUrl(req.url) }, 'page error');
    reply.code(status).type('text/html').send(page(`${status}`, `<p>${status >= 500 ? 'Something went wrong.' : 'Bad request.'}</p>`, ctx.urls.baseUrl));
  });
  return app;
}

function lastValues(query: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [key, value] of new URLSearchParams(query)) out[key] = value;
  return out;
}
