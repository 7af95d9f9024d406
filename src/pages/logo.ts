import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../api/context.ts';

/** Plasma's mark: a ring of plasma around a core. Small enough to inline in every response that needs it. */
export const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#5b7fe0"/><stop offset="1" stop-color="#b04fd0"/></linearGradient></defs><rect width="64" height="64" rx="14" fill="url(#g)"/><g fill="none" stroke="#fff" stroke-width="3.5" stroke-linecap="round"><ellipse cx="32" cy="32" rx="21" ry="9" transform="rotate(-30 32 32)"/><ellipse cx="32" cy="32" rx="21" ry="9" transform="rotate(30 32 32)"/></g><circle cx="32" cy="32" r="6" fill="#fff"/></svg>`;

const TYPES: Record<string, string> = { '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.ico': 'image/x-icon' };

/** /hub/logo (Jupyter's own pages load it) and the favicon: Plasma's mark, or the configured logo file. */
export function registerLogoRoutes(app: FastifyInstance, ctx: HubContext): void {
  const hub = `${ctx.urls.baseUrl}hub/`;
  const file = ctx.config.ui.logo_file;
  let logo: { body: Buffer | string; type: string } = { body: LOGO_SVG, type: 'image/svg+xml' };
  if (file) {
    try {
      logo = { body: fs.readFileSync(file), type: TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream' };
    } catch (err) {
      ctx.log.warn({ file, err: (err as Error).message }, 'ui.logo_file cannot be read; serving Plasma\'s logo');
    }
  }
  const send = (body: Buffer | string, type: string) => async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply.type(type).header('Cache-Control', 'public, max-age=86400').send(body);
  app.get(`${hub}logo`, send(logo.body, logo.type));
  app.get(`${hub}favicon.ico`, send(LOGO_SVG, 'image/svg+xml'));
  app.get(`${hub}static/favicon.ico`, send(LOGO_SVG, 'image/svg+xml'));
  if (ctx.urls.baseUrl !== '/') app.get(`${ctx.urls.baseUrl}favicon.ico`, send(LOGO_SVG, 'image/svg+xml'));
  app.get('/favicon.ico', send(LOGO_SVG, 'image/svg+xml'));
}
