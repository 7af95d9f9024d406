import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../api/context.ts';
import type { SessionRow, UserRow } from '../db/index.ts';
import type { Environment } from '../environments/index.ts';
import { ServerError } from '../hub/servers.ts';
import { escapeHtml, page } from './html.ts';
import { form } from './forms.ts';
import { formatSize } from '../ops/quota.ts';

/** The spawn form (the environments this user may start), its POST, and the page that follows progress. */

type RequireLogin = (req: FastifyRequest, reply: FastifyReply) => Promise<{ user: UserRow; session: SessionRow } | null>;

function limits(e: Environment): string {
  const memory = e.memory ? `${escapeHtml(e.memory)} memory` : 'default memory';
  const cpu = e.cpu ? `${e.cpu} CPU` : 'default CPU';
  return `${memory}, ${cpu}`;
}

function repoLink(repo: string): string {
  return /^https?:\/\//.test(repo) ? `<a href="${escapeHtml(repo)}" rel="noopener noreferrer">${escapeHtml(repo)}</a>` : escapeHtml(repo);
}

function environmentRows(envs: Environment[], chosen: string | undefined): string {
  return envs.map((e, i) => {
    const id = `env-${i}`;
    const checked = (chosen ? e.name === chosen : i === 0) ? ' checked' : '';
    return `<tr><td><input type="radio" name="environment" id="${id}" value="${escapeHtml(e.name)}"${checked}></td>
      <td><label for="${id}"><strong>${escapeHtml(e.displayName)}</strong></label>${e.description ? `<br><small>${escapeHtml(e.description)}</small>` : ''}
      <br><small>${repoLink(e.repo)} at ${escapeHtml(e.ref)}</small></td>
      <td><small>${limits(e)}</small></td>
      <td><small>${e.builtAt ? escapeHtml(e.builtAt.slice(0, 10)) : ''}</small></td></tr>`;
  }).join('');
}

export function registerSpawnPages(app: FastifyInstance, ctx: HubContext, requireLogin: RequireLogin): void {
  const base = ctx.urls.baseUrl;
  const hub = `${base}hub/`;
  const named = ctx.config.spawner.named_servers.enabled;
  const needsEnvironment = ctx.config.spawner.type !== 'local';

  async function startable(user: UserRow): Promise<Environment[]> {
    const groups = await ctx.repo.groupsOf(user.id);
    const actor = { name: user.name, admin: !!user.admin, builder: ctx.hubUsers.isBuilder(groups) };
    return ctx.environments.startableBy(actor, groups).catch(() => []);
  }

  app.get(`${hub}spawn`, async (req, reply) => {
    const me = await requireLogin(req, reply);
    if (!me) return reply;
    const envs = await startable(me.user);
    const chosen = ctx.config.environments.default;
    const nameField = named
      ? '<label for="server_name">Server name (optional: leave empty for your default server)</label><input type="text" id="server_name" name="server_name" pattern="[a-z0-9][a-z0-9._@-]*" maxlength="64">'
      : '';
    const table = envs.length
      ? `<table class="envs"><tr><th></th><th>Environment</th><th>Limits</th><th>Built</th></tr>${environmentRows(envs, chosen)}</table>`
      : needsEnvironment ? '<p>No environment is available to you yet: ask your teacher or an administrator.</p>' : '';
    const canStart = envs.length > 0 || !needsEnvironment;
    const disk = await ctx.disk.of(me.user);
    const diskNote = disk.over_hard
      ? `<p class="error" role="alert">Your home folder uses ${formatSize(disk.bytes)}, more than your limit of ${formatSize(disk.hard_limit)}: delete some files before starting a server.</p>`
      : disk.over_soft ? `<p class="error" role="status">Your home folder uses ${formatSize(disk.bytes)}, more than the ${formatSize(disk.soft_limit)} you should stay under (the limit is ${formatSize(disk.hard_limit)}).</p>` : '';
    return reply.type('text/html').send(page('Start a server', `
      ${diskNote}<form method="post" action="${hub}spawn"><input type="hidden" name="_xsrf" value="${escapeHtml(me.session.xsrf)}">
      ${table}${nameField}
      ${canStart ? '<button type="submit">Start</button>' : ''}</form>`, base, me.user.name));
  });

  app.post(`${hub}spawn`, async (req, reply) => {
    const me = await requireLogin(req, reply);
    if (!me) return reply;
    const body = form(req);
    const fail = (status: number, message: string) => reply.code(status).type('text/html').send(page('Could not start',
      `<p class="error" role="alert">${escapeHtml(message)}</p><p><a href="${hub}spawn">Back</a></p>`, base, me.user.name));
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

  app.get<{ Params: { name: string; server?: string } }>(`${hub}spawn-pending/:name/:server?`, async (req, reply) => {
    const me = await requireLogin(req, reply);
    if (!me) return reply;
    const { name, server } = req.params;
    const progressUrl = `${hub}api/users/${encodeURIComponent(name)}/${server ? `servers/${encodeURIComponent(server)}` : 'server'}/progress`;
    return reply.type('text/html').send(page('Your server is starting', `
      <progress id="bar" max="100" value="0"></progress><p id="msg" role="status">Waiting…</p>
      <script>
      const es = new EventSource(${JSON.stringify(progressUrl)});
      es.onmessage = (m) => { const e = JSON.parse(m.data);
        if (e.progress !== undefined) document.getElementById('bar').value = e.progress;
        document.getElementById('msg').textContent = e.message || '';
        if (e.ready) { es.close(); location.href = e.url; }
        if (e.failed) { es.close(); document.getElementById('msg').className = 'error'; }
      };
      es.onerror = () => { es.close(); setTimeout(() => location.reload(), 2000); };
      </script>`, base, me.user.name));
  });
}
