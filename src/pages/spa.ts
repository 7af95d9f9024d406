import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_BASES, ENVIRONMENTS_SCOPE, holds, PERMISSIONS_SCOPE, userRoleScopes } from '../auth/scopes.ts';
import type { SessionRow, UserRow } from '../db/index.ts';
import type { HubContext } from '../api/context.ts';
import { PLASMA_VERSION } from '../api/routes/hub.ts';
import { escapeHtml, MODE_SCRIPT, page, strings } from './html.ts';
import type { ShellConfig } from './shell-config.ts';

export type { ShellConfig };

/** The built app: dist/ui beside the bundled release (dist/plasma.mjs), or from the sources (src/pages/). */
function uiDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'ui'), path.resolve(here, '../../dist/ui')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? candidates[candidates.length - 1];
}

export const UI_DIR = uiDir();

/**
 * The built index.html with its asset URLs under the hub's prefix (the build uses relative ones, as the base_url
 * is only known here) and, per request, the signed-in user's config in a <meta>, HTML-escaped.
 */
export class SpaShell {
  private readonly template: string | null;

  constructor(private readonly ctx: HubContext, dir = UI_DIR) {
    const hub = `${ctx.urls.baseUrl}hub/`;
    let html: string | null = null;
    try {
      html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
    } catch {
      ctx.log.error({ dir }, 'the web UI is not built (npm run build); pages answer 503');
    }
    this.template = html
      ?.replace(/(src|href)="\.\/assets\//g, `$1="${hub}static/ui/assets/`)
      .replace('</head>', `<link rel="icon" href="${hub}favicon.ico" type="image/svg+xml">${MODE_SCRIPT}<!--plasma-config--></head>`) ?? null;
  }

  get built(): boolean {
    return this.template !== null;
  }

  async config(user: UserRow, session: SessionRow): Promise<ShellConfig> {
    const ctx = this.ctx;
    const admin = !!user.admin;
    // What the API will allow this user, so the app shows only what works.
    const scopes = userRoleScopes(user.name, admin, await ctx.hubUsers.groupRoles(user));
    return {
      base_url: ctx.urls.baseUrl,
      hub_prefix: `${ctx.urls.baseUrl}hub/`,
      version: PLASMA_VERSION,
      user: { name: user.name, admin },
      can: {
        admin, environments: holds(scopes, ENVIRONMENTS_SCOPE), permissions: holds(scopes, PERMISSIONS_SCOPE), monitoring: holds(scopes, 'read:metrics'),
      },
      xsrf: session.xsrf,
      named_servers: { enabled: ctx.config.spawner.named_servers.enabled, limit: ctx.config.spawner.named_servers.limit_per_user },
      needs_environment: ctx.config.spawner.type !== 'local',
      announcement: ctx.config.ui.announcement,
      scopes: [...ALL_BASES].sort(),
    };
  }

  async render(user: UserRow, session: SessionRow): Promise<string> {
    if (!this.template) return page('503', `<p>${escapeHtml(strings.errors.notBuilt)}</p>`, this.ctx.urls.baseUrl);
    const meta = `<meta name="plasma-config" content="${escapeHtml(JSON.stringify(await this.config(user, session)))}">`;
    return this.template.replace('<!--plasma-config-->', meta);
  }
}
