import type { FastifyInstance, FastifyRequest } from 'fastify';
import { usernameProblem } from '../../auth/index.ts';
import { cachedJson } from '../answer-cache.ts';
import type { HubContext } from '../context.ts';
import { ApiError, badRequest, isPlainObject, jsonBody, notFound, objectBody, pageOf, pageResponse, rejectUnknownKeys } from '../http.ts';
import { identify, requireScopes } from '../identity.ts';
import { checkMembershipCount, checkNameCount, jsonListInSlices } from '../limits.ts';
import { groupModel, visibleUserNames } from '../models.ts';

/** Group names follow the user-name rules (they also map to UNIX groups). */
function groupNameProblem(name: unknown): string | null {
  const problem = usernameProblem(name);
  return problem ? problem.replace(/username/g, 'group name') : null;
}

/** The ids of the named users, in one query a slice; an unknown name is a 400 before anything changes. */
async function memberIds(ctx: HubContext, users: unknown): Promise<number[]> {
  if (users === undefined) return [];
  if (!Array.isArray(users) || users.some((u) => typeof u !== 'string')) throw badRequest('users must be a list of user names');
  checkNameCount(users, 'users');
  const found = new Map((await ctx.repo.findUsersByNames([...new Set(users as string[])])).map((u) => [u.name, u.id]));
  const missing = (users as string[]).find((name) => !found.has(name));
  if (missing !== undefined) throw badRequest(`No such user: ${missing}`);
  return [...new Set((users as string[]).map((name) => found.get(name)!))];
}

async function authorizedGroup(ctx: HubContext, req: FastifyRequest, name: string, scopes: string[]) {
  const identity = await identify(ctx, req);
  requireScopes(identity, scopes, { group: name });
  const group = await ctx.repo.findGroup(name);
  if (!group) throw notFound(`No such group: ${name}`);
  return { identity: identity!, group };
}

export function registerGroupRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.get('/groups', async (req, reply) => {
    const identity = requireScopes(await identify(ctx, req), ['list:groups']);
    return cachedJson(ctx, req, reply, identity, async () => {
      const page = pageOf(req);
      const visible = visibleUserNames(identity, 'list:groups');
      // The page in SQL, then every member of its groups in one query.
      const { rows, total } = await ctx.repo.groupsPage({
        offset: page.offset, limit: page.limit, names: visible.all ? undefined : [...visible.groups], withTotal: page.paginated,
      });
      const members = await ctx.repo.membersOfGroups(rows.map((g) => g.id));
      const items = await Promise.all(rows.map((g) => groupModel(ctx, identity, g, members.get(g.id))));
      return pageResponse(req, page, items, total);
    });
  });

  app.post('/groups', async (req, reply) => {
    const identity = requireScopes(await identify(ctx, req), ['admin:groups']);
    const body = jsonBody(req);
    if (!isPlainObject(body)) throw badRequest('body must be a JSON object {groups: [...], users?: [...]}');
    rejectUnknownKeys(body, ['groups', 'users']);
    if (!Array.isArray(body.groups) || body.groups.length === 0) throw badRequest('Must specify at least one group to create');
    checkNameCount(body.groups, 'groups');
    for (const name of body.groups) {
      const problem = groupNameProblem(name);
      if (problem) throw badRequest(problem);
    }
    const ids = await memberIds(ctx, body.users);
    const wanted = [...new Set(body.groups as string[])];
    checkMembershipCount(wanted.length, ids.length);
    const existing = new Set((await ctx.repo.findGroupsByNames(wanted)).map((g) => g.name));
    const fresh = wanted.filter((name) => !existing.has(name));
    if (!fresh.length) throw new ApiError(409, `All ${body.groups.length} groups already exist`);
    const created = await ctx.repo.createGroups(fresh);
    if (ids.length) for (const group of created) await ctx.repo.addMembers(group.id, ids);
    // Each new group has exactly these members, listed (as everywhere) in user id order.
    const members = (await ctx.repo.findUsersByNames([...new Set((body.users as string[] | undefined) ?? [])]))
      .sort((a, b) => a.id - b.id).map((u) => u.name);
    const models = await Promise.all(created.map((g) => groupModel(ctx, identity, g, members)));
    reply.code(201).type('application/json; charset=utf-8');
    return jsonListInSlices(models, (m) => m);
  });

  app.get<{ Params: { name: string } }>('/groups/:name', async (req) => {
    const { identity, group } = await authorizedGroup(ctx, req, req.params.name, ['read:groups', 'read:groups:name', 'read:roles:groups']);
    return groupModel(ctx, identity, group);
  });

  app.post<{ Params: { name: string } }>('/groups/:name', async (req, reply) => {
    const name = req.params.name;
    const identity = requireScopes(await identify(ctx, req), ['admin:groups'], { group: name });
    const body = objectBody(req);
    rejectUnknownKeys(body, ['users']);
    const problem = groupNameProblem(name);
    if (problem) throw badRequest(problem);
    const ids = await memberIds(ctx, body.users);
    if (await ctx.repo.findGroup(name)) throw new ApiError(409, `Group ${name} already exists`);
    const group = await ctx.repo.createGroup(name);
    await ctx.repo.addMembers(group.id, ids);
    reply.code(201);
    return groupModel(ctx, identity, group);
  });

  app.delete<{ Params: { name: string } }>('/groups/:name', async (req, reply) => {
    const { group } = await authorizedGroup(ctx, req, req.params.name, ['delete:groups']);
    await ctx.repo.deleteGroup(group.id);
    reply.code(204);
    return '';
  });

  for (const method of ['post', 'delete'] as const) {
    app[method]<{ Params: { name: string } }>('/groups/:name/users', async (req) => {
      const { identity, group } = await authorizedGroup(ctx, req, req.params.name, ['groups']);
      const body = objectBody(req);
      rejectUnknownKeys(body, ['users']);
      if (body.users === undefined) throw badRequest('users must be a list of user names');
      const ids = await memberIds(ctx, body.users);
      if (method === 'post') await ctx.repo.addMembers(group.id, ids);
      else await ctx.repo.removeMembers(group.id, ids);
      return groupModel(ctx, identity, group);
    });
  }
}
