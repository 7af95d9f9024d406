import type { FastifyInstance, FastifyRequest } from 'fastify';
import { usernameProblem } from '../../auth/index.ts';
import type { GroupRow } from '../../db/index.ts';
import type { HubContext } from '../context.ts';
import { ApiError, badRequest, isPlainObject, jsonBody, notFound, objectBody, pageOf, pageResponse, rejectUnknownKeys } from '../http.ts';
import { identify, requireScopes } from '../identity.ts';
import { groupModel, visibleUserNames } from '../models.ts';

/** Group names follow the user-name rules (they also map to UNIX groups). */
function groupNameProblem(name: unknown): string | null {
  const problem = usernameProblem(name);
  return problem ? problem.replace(/username/g, 'group name') : null;
}

async function memberIds(ctx: HubContext, users: unknown): Promise<number[]> {
  if (users === undefined) return [];
  if (!Array.isArray(users) || users.some((u) => typeof u !== 'string')) throw badRequest('users must be a list of user names');
  const ids: number[] = [];
  for (const name of users as string[]) {
    const user = await ctx.repo.findUser(name);
    if (!user) throw badRequest(`No such user: ${name}`);
    ids.push(user.id);
  }
  return ids;
}

async function authorizedGroup(ctx: HubContext, req: FastifyRequest, name: string, scopes: string[]) {
  const identity = await identify(ctx, req);
  requireScopes(identity, scopes, { group: name });
  const group = await ctx.repo.findGroup(name);
  if (!group) throw notFound(`No such group: ${name}`);
  return { identity: identity!, group };
}

export function registerGroupRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.get('/groups', async (req) => {
    const identity = requireScopes(await identify(ctx, req), ['list:groups']);
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

  app.post('/groups', async (req, reply) => {
    const identity = requireScopes(await identify(ctx, req), ['admin:groups']);
    const body = jsonBody(req);
    if (!isPlainObject(body)) throw badRequest('body must be a JSON object {groups: [...], users?: [...]}');
    rejectUnknownKeys(body, ['groups', 'users']);
    if (!Array.isArray(body.groups) || body.groups.length === 0) throw badRequest('Must specify at least one group to create');
    for (const name of body.groups) {
      const problem = groupNameProblem(name);
      if (problem) throw badRequest(problem);
    }
    const ids = await memberIds(ctx, body.users);
    const fresh: string[] = [];
    for (const name of new Set(body.groups as string[])) if (!(await ctx.repo.findGroup(name))) fresh.push(name);
    if (!fresh.length) throw new ApiError(409, `All ${body.groups.length} groups already exist`);
    const created: GroupRow[] = [];
    for (const name of fresh) {
      const group = await ctx.repo.createGroup(name);
      await ctx.repo.addMembers(group.id, ids);
      created.push(group);
    }
    reply.code(201);
    return Promise.all(created.map((g) => groupModel(ctx, identity, g)));
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
