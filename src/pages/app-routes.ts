import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../api/context.ts';
import { sendPage } from './compress.ts';
import { registerSpawnForm } from './spawn.ts';
import type { CurrentUser } from './routes.ts';
import type { ShellConfig, SpaShell } from './spa.ts';

type Need = keyof ShellConfig['can'] | null;

/** The app's routes (react-router owns what is below them) and who may open each. */
const APP_ROUTES: Array<[string, Need]> = [
  ['home', null], ['open/*', null], ['spawn', null], ['spawn/*', null], ['spawn-pending/*', null], ['token', null],
  ['admin', 'admin'], ['admin/*', 'admin'], ['environments', 'environments'], ['environments/*', 'environments'],
  ['permissions', 'permissions'], ['monitoring', 'monitoring'], ['monitoring/*', 'monitoring'],
];

/** The single-page app's shell on every app route; the sign-in page for anyone not signed in. */
export function registerAppRoutes(app: FastifyInstance, ctx: HubContext, shell: SpaShell, current: CurrentUser): void {
  const base = ctx.urls.baseUrl;
  const hub = `${base}hub/`;

  const sendShell = async (req: FastifyRequest, reply: FastifyReply, me: NonNullable<Awaited<ReturnType<CurrentUser>>>, status = 200) => {
    reply.code(shell.built ? status : 503).header('Cache-Control', 'no-cache, private');
    return sendPage(req, reply, await shell.render(me.user, me.session));
  };

  for (const [route, need] of APP_ROUTES) {
    app.get(`${hub}${route}`, async (req, reply) => {
      const me = await current(req);
      if (!me) return reply.redirect(`${hub}login?next=${encodeURIComponent(req.url)}`, 302);
      // The app shows why; the status tells scripts and tests.
      const allowed = !need || (await shell.config(me.user, me.session)).can[need];
      return sendShell(req, reply, me, allowed ? 200 : 403);
    });
  }

  registerSpawnForm(app, ctx, current);

  // tljh-plasma's and older links to the framed server: the app's frame (with the culler's warning above it).
  app.get<{ Params: { name: string; server?: string } }>(`${hub}frame/:name/:server?`, async (req, reply) => {
    const { name, server } = req.params;
    return reply.redirect(`${hub}open/${encodeURIComponent(name)}${server ? `/${encodeURIComponent(server)}` : ''}`, 302);
  });

  // A stopped server's URL lands here through the proxy's '/' route (JupyterHub's UserUrlHandler).
  app.get(`${hub}user/*`, async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    const [name, maybeServer] = rest.split('/');
    const wantsJson = String(req.headers.accept ?? '').includes('application/json') || rest.split('?')[0].includes('/api/');
    const owner = await ctx.repo.findUser(decodedOrRaw(name ?? ''));
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
    if (server && server.status === 'spawning') {
      return reply.redirect(`${hub}spawn-pending/${encodeURIComponent(owner!.name)}${server.name ? `/${encodeURIComponent(server.name)}` : ''}`, 303);
    }
    const message = owner ? `${owner.name}'s server is not running` : 'No such user';
    if (wantsJson) return reply.code(424).type('application/json').send(JSON.stringify({ status: 424, message }));
    const me = await current(req);
    if (!me) return reply.redirect(`${hub}login?next=${encodeURIComponent(req.url)}`, 302);
    // The app's "not running" page, with a Start button for its owner.
    return sendShell(req, reply, me, 424);
  });
}

/** A path segment decoded; one that is not valid percent-encoding (%zz) names nobody, rather than failing. */
function decodedOrRaw(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
