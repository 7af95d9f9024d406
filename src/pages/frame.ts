import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../api/context.ts';
import type { SessionRow, UserRow } from '../db/index.ts';
import { escapeHtml, page } from './html.ts';

type RequireLogin = (req: FastifyRequest, reply: FastifyReply) => Promise<{ user: UserRow; session: SessionRow } | null>;

/**
 * /hub/frame/{user}[/{server}]: the user's server in a frame, with the culler's warning above it a few minutes
 * before an idle stop (and a button that counts as activity). The web UI's frame polls the same API.
 */
export function registerFramePage(app: FastifyInstance, ctx: HubContext, requireLogin: RequireLogin): void {
  const base = ctx.urls.baseUrl;
  app.get<{ Params: { name: string; server?: string } }>(`${base}hub/frame/:name/:server?`, async (req, reply) => {
    const me = await requireLogin(req, reply);
    if (!me) return reply;
    const { name, server = '' } = req.params;
    if (name !== me.user.name && !me.user.admin) return reply.code(403).type('text/html').send(page('Forbidden', '<p>This is not your server.</p>', base, me.user.name));
    const serverUrl = `${base}user/${encodeURIComponent(name)}/${server ? `${encodeURIComponent(server)}/` : ''}`;
    const api = `${base}hub/api/plasma/culler/${encodeURIComponent(name)}${server ? `/${encodeURIComponent(server)}` : ''}`;
    return reply.type('text/html').send(page('Your server', `
      <div id="cull-warning" role="alert" hidden class="error"><span id="cull-text"></span>
        <button type="button" id="cull-keep">Keep it running</button></div>
      <iframe id="server-frame" title="Your Jupyter server" src="${escapeHtml(serverUrl)}" style="width:100%;height:80vh;border:0"></iframe>
      <script>
      const api = ${JSON.stringify(api)}, xsrf = ${JSON.stringify(me.session.xsrf)};
      const box = document.getElementById('cull-warning'), text = document.getElementById('cull-text');
      function show(s) {
        box.hidden = !s.warning;
        if (s.warning) text.textContent = 'Your server will be stopped in ' + Math.ceil(s.seconds_left / 60) + ' min'
          + (s.reason === 'max_age' ? ' (it has reached the longest time a server may run). ' : ' because it has not been used. ') + 'Save your work.';
        document.getElementById('cull-keep').hidden = s.reason !== 'idle';
      }
      async function poll() {
        try { const r = await fetch(api, { headers: { 'X-XSRFToken': xsrf } }); if (r.ok) show(await r.json()); } catch (e) {}
      }
      document.getElementById('cull-keep').onclick = async () => {
        const r = await fetch(api + '/keep', { method: 'POST', headers: { 'X-XSRFToken': xsrf } }); if (r.ok) show(await r.json());
      };
      poll(); setInterval(poll, 15000);
      </script>`, base, me.user.name));
  });
}
