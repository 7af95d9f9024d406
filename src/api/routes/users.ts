import type { FastifyInstance, FastifyRequest } from 'fastify';
import { usernameProblem } from '../../auth/index.ts';
import { USER_SORTS, type UserRow, type UserSort, type UserState } from '../../db/index.ts';
import { cachedJson } from '../answer-cache.ts';
import type { HubContext } from '../context.ts';
import { ApiError, badRequest, isPlainObject, jsonBody, notFound, objectBody, pageOf, pageResponse, rejectUnknownKeys } from '../http.ts';
import { identify, requireFullAdmin, requireScopes, type Identity } from '../identity.ts';
import { checkNameCount, jsonListInSlices } from '../limits.ts';
import { isActive, userModel, userModelOf, visibleUserNames } from '../models.ts';

export async function loadUser(ctx: HubContext, name: string): Promise<UserRow> {
  const user = await ctx.repo.findUser(name);
  if (!user) throw notFound(`No such user: ${name}`);
  return user;
}

/** Scope check first (so a stranger cannot probe which names exist), then the lookup. */
export async function authorizedUser(
  ctx: HubContext, req: FastifyRequest, name: string, scopes: string[], known?: Identity | null,
): Promise<{ identity: Identity; user: UserRow; groups: string[] }> {
  const identity = known !== undefined ? known : await identify(ctx, req);
  const existing = await ctx.repo.findUser(name);
  const groups = existing ? await ctx.repo.groupsOf(existing.id) : [];
  requireScopes(identity, scopes, { user: name, groups });
  if (!existing) throw notFound(`No such user: ${name}`);
  return { identity: identity!, user: existing, groups };
}

/** JupyterHub's `include_stopped_servers` (any value but 0), for one user and for the list alike. */
function stoppedWanted(q: Record<string, string | undefined>): boolean {
  const v = q.include_stopped_servers;
  return v !== undefined && v !== '0' && v !== 'false';
}

function adminFlag(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw badRequest('admin must be a boolean (true or false)');
  return value;
}

export function registerUserRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.get('/users', async (req, reply) => {
    const identity = requireScopes(await identify(ctx, req), ['list:users']);
    return cachedJson(ctx, req, reply, identity, () => listUsers(req, identity));
  });

  async function listUsers(req: FastifyRequest, identity: Identity): Promise<unknown> {
    const q = req.query as Record<string, string | undefined>;
    const page = pageOf(req);
    const state = q.state;
    if (state !== undefined && !['active', 'inactive', 'ready'].includes(state)) {
      throw badRequest(`Unrecognized state filter: ${JSON.stringify(state)}; use active, inactive or ready`);
    }
    const sort = q.sort || 'id';
    if (!(USER_SORTS as readonly string[]).includes(sort)) {
      throw badRequest(`sort must be 'id', 'name', or 'last_activity' (with '-' for descending), not ${JSON.stringify(sort)}`);
    }
    const visible = visibleUserNames(identity, 'list:users');
    // The page, filtered and sorted in SQL, then its groups and servers: four queries at any size.
    const { rows, total } = await ctx.repo.usersPage({
      nameFilter: q.name_filter || undefined, sort: sort as UserSort, offset: page.offset, limit: page.limit,
      visible: visible.all ? undefined : { names: [...visible.users], groups: [...visible.groups] },
      state: state as UserState | undefined, pendingServerIds: ctx.servers.pendingServerIds(), withTotal: page.paginated,
    });
    const ids = rows.map((u) => u.id);
    const groupsById = await ctx.repo.groupsOfUsers(ids);
    const serversById = await ctx.repo.serversOfUsers(ids);
    const includeStopped = stoppedWanted(q);
    const items = rows.map((u) => userModelOf(ctx, identity, u, groupsById.get(u.id) ?? [], serversById.get(u.id) ?? [], includeStopped));
    return pageResponse(req, page, items, total);
  }

  app.post('/users', async (req, reply) => {
    const identity = requireScopes(await identify(ctx, req), ['admin:users']);
    const body = jsonBody(req);
    if (!isPlainObject(body) || !Array.isArray(body.usernames) || body.usernames.length === 0) {
      if (isPlainObject(body) && body.usernames !== undefined && !Array.isArray(body.usernames)) {
        throw badRequest('usernames must be a list of names');
      }
      throw badRequest('Must specify at least one user to create');
    }
    rejectUnknownKeys(body, ['usernames', 'admin']);
    checkNameCount(body.usernames, 'usernames');
    const admin = adminFlag(body.admin) ?? false;
    if (admin) requireFullAdmin(identity, 'create admin users');
    const names = new Set<string>();
    for (const name of body.usernames) {
      const problem = usernameProblem(name);
      if (problem) throw badRequest(problem);
      names.add(name as string);
    }
    // Lookups and inserts a slice at a time (db/chunks.ts): other requests are served in between.
    const existing = new Set((await ctx.repo.findUsersByNames([...names])).map((u) => u.name));
    const fresh = [...names].filter((n) => !existing.has(n));
    if (fresh.length === 0) throw new ApiError(409, `All ${names.size} users already exist`);
    const created = await ctx.repo.createUsers(fresh, admin);
    ctx.log.info({ count: created.length, users: created.map((u) => u.name), by: identity.user.name }, 'users created');
    reply.code(201).type('application/json; charset=utf-8');
    return jsonListInSlices(created, (u) => userModelOf(ctx, identity, u, [], [], false));
  });

  app.get<{ Params: { name: string } }>('/users/:name', async (req, reply) => {
    const scopes = ['read:users', 'read:users:name', 'read:servers', 'read:users:groups', 'read:users:activity', 'read:roles:users', 'admin:auth_state'];
    const identity = await identify(ctx, req);
    if (!identity) return requireScopes(identity, scopes);
    // An answer kept for this caller at this version was authorized then, and the version covers their scopes.
    return cachedJson(ctx, req, reply, identity, async () => {
      const { user, groups } = await authorizedUser(ctx, req, req.params.name, scopes, identity);
      return userModel(ctx, identity, user, { includeStopped: stoppedWanted(req.query as Record<string, string | undefined>), groups });
    });
  });

  app.post<{ Params: { name: string } }>('/users/:name', async (req, reply) => {
    const name = req.params.name;
    const identity = requireScopes(await identify(ctx, req), ['admin:users'], { user: name });
    const body = objectBody(req);
    rejectUnknownKeys(body, ['admin']);
    const admin = adminFlag(body.admin) ?? false;
    if (admin) requireFullAdmin(identity, 'create admin users');
    const problem = usernameProblem(name);
    if (problem) throw badRequest(problem);
    if (await ctx.repo.findUser(name)) throw new ApiError(409, `User ${name} already exists`);
    const user = await ctx.repo.createUser(name, admin);
    ctx.log.info({ user: name, by: identity.user.name }, 'user created');
    reply.code(201);
    return userModel(ctx, identity, user);
  });

  app.patch<{ Params: { name: string } }>('/users/:name', async (req) => {
    const { identity, user } = await authorizedUser(ctx, req, req.params.name, ['admin:users']);
    const body = objectBody(req);
    rejectUnknownKeys(body, ['name', 'admin', 'auth_state']);
    if (user.admin) requireFullAdmin(identity, 'change an admin account');
    const patch: Partial<UserRow> = {};
    if (body.name !== undefined) {
      if (typeof body.name !== 'string') throw badRequest('name must be a string');
      const problem = usernameProblem(body.name);
      if (problem) throw badRequest(problem);
      if (body.name !== user.name) {
        if (await ctx.repo.findUser(body.name)) throw badRequest(`User ${body.name} already exists, username must be unique`);
        const servers = await ctx.repo.serversOf(user.id);
        if (servers.some((s) => isActive(ctx, s))) throw badRequest(`Stop ${user.name}'s servers before renaming the user`);
        patch.name = body.name;
      }
    }
    const admin = adminFlag(body.admin);
    if (admin !== undefined && admin !== !!user.admin) {
      requireFullAdmin(identity, 'grant admin rights');
      patch.admin = admin ? 1 : 0;
    }
    if (body.auth_state !== undefined) {
      requireScopes(identity, ['admin:auth_state'], { user: user.name });
      patch.auth_state = body.auth_state === null ? null : JSON.stringify(body.auth_state);
    }
    if (Object.keys(patch).length) {
      await ctx.repo.updateUser(user.id, patch);
      if (patch.name) {
        // Stopped servers keep their prefix in the row: move it with the name.
        for (const s of await ctx.repo.serversOf(user.id)) {
          await ctx.repo.updateServer(s.id, { base_url: ctx.servers.prefixFor(patch.name, s.name) });
        }
      }
    }
    return userModel(ctx, identity, (await ctx.repo.findUserById(user.id))!);
  });

  app.delete<{ Params: { name: string } }>('/users/:name', async (req, reply) => {
    const { identity, user } = await authorizedUser(ctx, req, req.params.name, ['delete:users']);
    if (identity.user.name === user.name) throw badRequest('Cannot delete yourself!');
    if (user.admin) requireFullAdmin(identity, 'delete an admin account');
    // Unlike JupyterHub 3.0 (a 500 here), stop every server first, then delete.
    for (const server of await ctx.repo.serversOf(user.id)) {
      if (ctx.servers.pendingOf(server.id) === 'spawn') throw badRequest(`${user.name}'s server is pending spawn, please wait`);
      if (isActive(ctx, server)) await ctx.servers.stop(user, server.name, { waitMs: 60_000 });
    }
    await ctx.repo.deleteUser(user.id);
    ctx.log.info({ user: user.name, by: identity.user.name }, 'user deleted');
    reply.code(204);
    return '';
  });
}
