import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../api/context.ts';
import { ServerError } from '../servers/index.ts';
import { escapeHtml, page } from './html.ts';
import { form } from './forms.ts';
import type { CurrentUser } from './routes.ts';

/**
 * JupyterHub's spawn form POST, for scripts and tools that start servers as a browser would (the app itself uses the
 * REST API): start, then the progress page.
 */
export function registerSpawnForm(app: FastifyInstance, ctx: HubContext, current: CurrentUser): void {
  const base = ctx.urls.baseUrl;
  const hub = `${base}hub/`;
  const named = ctx.config.spawner.named_servers.enabled;

  app.post(`${hub}spawn`, async (req, reply) => {
    const me = await current(req);
    if (!me) return reply.redirect(`${hub}login?next=${encodeURIComponent(`${hub}spawn`)}`, 302);
    const body = form(req);
    const fail = (status: number, message: string) => reply.code(status).type('text/html').send(page('Could not start',
      `<p class="error" role="alert">${escapeHtml(message)}</p><p><a href="${hub}spawn">Back</a></p>`, base));
    if (body._xsrf !== me.session.xsrf) return fail(403, 'The form expired; go back and try again.');
    const options: Record<string, unknown> = {};
    // tljh-repo2docker's spawn page sends ?image=<name>:<ref>; Plasma's form sends the environment's name.
    const image = body.image ?? (req.query as Record<string, string>).image;
    if (body.environment) options.environment = body.environment;
    else if (image) options.image = image;
    const serverName = named ? (body.server_name ?? '').trim() : '';
    if (serverName && !/^[a-z0-9][a-z0-9._@-]{0,63}$/.test(serverName)) return fail(400, 'A server name uses lower-case letters, digits and . _ @ - only.');
    try {
      await ctx.servers.start(me.user, serverName, options, 0);
    } catch (err) {
      if (err instanceof ServerError) return fail(err.status, err.message);
      ctx.log.error({ err }, 'spawn from the form failed');
      return fail(500, 'The server could not be started.');
    }
    return reply.redirect(`${hub}spawn-pending/${encodeURIComponent(me.user.name)}${serverName ? `/${encodeURIComponent(serverName)}` : ''}`, 303);
  });
}
