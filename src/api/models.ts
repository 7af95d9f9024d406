import { holds, parseScope, tokenScopes } from '../auth/scopes.ts';
import { toJupyterTime, type ServerRow, type TokenRow, type UserModelRow, type UserRow } from '../db/index.ts';
import type { HubContext } from './context.ts';
import type { Identity } from './identity.ts';

function parseObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

export function isActive(ctx: HubContext, server: ServerRow): boolean {
  return server.status === 'running' || server.status === 'spawning' || ctx.servers.pendingOf(server.id) !== null;
}

export function isReady(ctx: HubContext, server: ServerRow): boolean {
  return server.status === 'running' && ctx.servers.pendingOf(server.id) === null;
}

export function serverModel(ctx: HubContext, identity: Identity | null, userName: string, server: ServerRow) {
  const pending = ctx.servers.pendingOf(server.id);
  const ready = isReady(ctx, server);
  const active = isActive(ctx, server);
  const progressBase = `${ctx.urls.baseUrl}hub/api/users/${userName}`;
  const model: Record<string, unknown> = {
    name: server.name,
    last_activity: toJupyterTime(server.last_activity),
    started: active ? toJupyterTime(server.started) : null,
    pending,
    ready,
    stopped: !active,
    url: server.base_url,
    user_options: parseObject(server.user_options),
    progress_url: server.name ? `${progressBase}/servers/${server.name}/progress` : `${progressBase}/server/progress`,
  };
  if (identity && holds(identity.scopes, 'admin:server_state', { user: userName, server: server.name })) {
    model.state = active ? parseObject(server.spawner_state) : {};
  }
  return model;
}

/** The user model, with only the fields the caller's scopes allow (JupyterHub's model filtering). */
export async function userModel(
  ctx: HubContext, identity: Identity | null, user: UserRow, options: { includeStopped?: boolean; groups?: string[]; servers?: ServerRow[] } = {},
): Promise<Record<string, unknown>> {
  const groups = options.groups ?? (await ctx.repo.groupsOf(user.id));
  const servers = options.servers ?? (await ctx.repo.serversOf(user.id));
  return userModelOf(ctx, identity, user, groups, servers, !!options.includeStopped);
}

/** The same, from groups and servers already loaded (listings and bulk answers, no query per user). */
export function userModelOf(
  ctx: HubContext, identity: Identity | null, user: UserModelRow, groups: string[], servers: ServerRow[], includeStopped: boolean,
): Record<string, unknown> {
  const target = { user: user.name, groups };
  const can = (base: string) => (identity ? holds(identity.scopes, base, target) : false);
  const defaultServer = servers.find((s) => s.name === '');
  const full: Record<string, unknown> = {
    kind: 'user',
    name: user.name,
    admin: !!user.admin,
    roles: user.admin ? ['admin', 'user'] : ['user'],
    groups,
    server: defaultServer && isReady(ctx, defaultServer) ? defaultServer.base_url : null,
    pending: defaultServer ? ctx.servers.pendingOf(defaultServer.id) : null,
    created: toJupyterTime(user.created),
    last_activity: toJupyterTime(user.last_activity),
  };
  // read:users shows every field (an admin's listing: no per-field checks); the narrower scopes show some.
  let model = full;
  if (!can('read:users')) {
    const keys = new Set<string>();
    if (can('read:users:name')) ['kind', 'name', 'admin'].forEach((k) => keys.add(k));
    if (can('read:users:groups')) ['kind', 'name', 'groups'].forEach((k) => keys.add(k));
    if (can('read:users:activity')) ['kind', 'name', 'last_activity'].forEach((k) => keys.add(k));
    if (can('read:roles:users')) ['kind', 'name', 'roles', 'admin'].forEach((k) => keys.add(k));
    model = {};
    for (const k of Object.keys(full)) if (keys.has(k)) model[k] = full[k];
  }
  if (can('read:servers')) {
    model.kind = 'user';
    model.name = user.name;
    const shown: Record<string, unknown> = {};
    for (const s of servers) {
      if (isActive(ctx, s) || includeStopped) shown[s.name] = serverModel(ctx, identity, user.name, s);
    }
    model.servers = shown;
  }
  if (can('admin:auth_state')) {
    model.kind = 'user';
    model.name = user.name;
    model.auth_state = user.auth_state ? JSON.parse(user.auth_state) : null;
  }
  return model;
}

export function tokenModel(token: TokenRow, owner: UserRow, clientDescription?: string) {
  const scopes = [...tokenScopes(JSON.parse(token.scopes), JSON.parse(token.roles), owner.name, !!owner.admin)];
  return {
    user: owner.name,
    id: `a${token.id}`,
    kind: 'api_token',
    roles: JSON.parse(token.roles),
    scopes,
    created: toJupyterTime(token.created),
    last_activity: toJupyterTime(token.last_activity),
    expires_at: toJupyterTime(token.expires_at),
    note: token.note,
    session_id: token.session_id,
    oauth_client: token.client_id === 'jupyterhub' ? 'JupyterHub' : clientDescription ?? token.client_id,
  };
}

/** `members`: the group's user names when the caller already has them (a listing page loads them at once). */
export async function groupModel(ctx: HubContext, identity: Identity | null, group: { id: number; name: string }, members?: string[]) {
  const full = identity ? holds(identity.scopes, 'read:groups', { group: group.name }) : false;
  if (!full) return { kind: 'group', name: group.name };
  return { kind: 'group', name: group.name, roles: [], users: members ?? (await ctx.repo.groupMembers(group.id)) };
}

/** Users a filtered scope (e.g. list:users!user=alice) lets the caller see; null = all. */
export function visibleUserNames(identity: Identity, base: string): { all: boolean; users: Set<string>; groups: Set<string> } {
  const users = new Set<string>();
  const groups = new Set<string>();
  let all = false;
  for (const scope of identity.scopes) {
    const p = parseScope(scope);
    if (p.base !== base) continue;
    if (!p.kind) all = true;
    else if ((p.kind === 'user' || p.kind === 'server') && p.value) users.add(p.value.split('/')[0]);
    else if (p.kind === 'group' && p.value) groups.add(p.value);
  }
  return { all, users, groups };
}
