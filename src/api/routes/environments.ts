import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ENVIRONMENTS_SCOPE, holds, PERMISSIONS_SCOPE } from '../../auth/scopes.ts';
import { toJupyterTime } from '../../db/index.ts';
import type { Actor, BuildView, Environment } from '../../environments/index.ts';
import type { HubContext } from '../context.ts';
import { ApiError, jsonBody } from '../http.ts';
import { identify, requireScopes, type Identity } from '../identity.ts';
import { addEnvironmentBody, groupsBody, parseBody, rebuildBody } from '../schemas/environments.ts';
import { streamBuildLog } from './environment-logs.ts';

/** /hub/api/plasma/environments and /permissions: docs/plasma-api.md is the contract. */

export function buildModel(b: BuildView | null) {
  if (!b) return null;
  return {
    id: b.id, status: b.status, requested_by: b.requestedBy, queued_at: toJupyterTime(b.queuedAt), started_at: toJupyterTime(b.startedAt),
    finished_at: toJupyterTime(b.finishedAt), commit: b.commit, error: b.error, progress: b.progress, queue_position: b.queuePosition, no_cache: b.noCache,
  };
}

/** The whole model for builders and admins; what a student's spawn page needs for everyone else. */
function environmentModel(e: Environment, full: boolean) {
  const visible = {
    name: e.name, display_name: e.displayName, description: e.description, image: e.image, repo: e.repo, ref: e.ref,
    memory: e.memory, cpu: e.cpu, built_at: toJupyterTime(e.builtAt), status: e.status,
  };
  if (!full) return visible;
  return {
    ...visible, commit: e.commit, build_args: e.buildArgs, owner: e.owner, size: e.size, image_id: e.imageId, source: e.source,
    groups: e.groups, build: buildModel(e.build), in_use_by: e.inUseBy,
  };
}

async function caller(ctx: HubContext, req: FastifyRequest): Promise<{ identity: Identity; actor: Actor; manages: boolean }> {
  const identity = await identify(ctx, req);
  if (!identity) throw new ApiError(403, 'Missing or invalid credentials');
  const manages = holds(identity.scopes, ENVIRONMENTS_SCOPE);
  return { identity, actor: { name: identity.user.name, admin: !!identity.user.admin, builder: manages }, manages };
}

async function manager(ctx: HubContext, req: FastifyRequest, scope = ENVIRONMENTS_SCOPE): Promise<Actor> {
  const identity = requireScopes(await identify(ctx, req), [scope]);
  return { name: identity.user.name, admin: !!identity.user.admin, builder: holds(identity.scopes, ENVIRONMENTS_SCOPE) };
}

type Named = FastifyRequest<{ Params: { name: string } }>;

export function registerEnvironmentRoutes(app: FastifyInstance, ctx: HubContext): void {
  const envs = ctx.environments;

  app.get('/plasma/environments', async (req) => {
    const { identity, actor, manages } = await caller(ctx, req);
    const list = await envs.visibleTo(actor, await ctx.repo.groupsOf(identity.user.id));
    return list.map((e) => environmentModel(e, manages));
  });

  app.post('/plasma/environments', async (req, reply) => {
    const actor = await manager(ctx, req);
    const { environment, build } = await envs.add(parseBody(addEnvironmentBody, jsonBody(req)), actor);
    reply.code(202);
    return { environment: environmentModel(environment, true), build: buildModel(build) };
  });

  app.get('/plasma/environments/:name', async (req: Named) => {
    const { identity, actor, manages } = await caller(ctx, req);
    if (manages) return environmentModel(await envs.get(req.params.name), true);
    const visible = await envs.visibleTo(actor, await ctx.repo.groupsOf(identity.user.id));
    const env = visible.find((e) => e.name === req.params.name);
    if (!env) throw new ApiError(404, `no environment is named ${JSON.stringify(req.params.name.slice(0, 64))}`);
    return environmentModel(env, false);
  });

  app.delete('/plasma/environments/:name', async (req: Named, reply) => {
    await envs.remove(req.params.name, await manager(ctx, req));
    reply.code(204);
    return '';
  });

  app.post('/plasma/environments/:name/rebuild', async (req: Named, reply) => {
    const actor = await manager(ctx, req);
    const { environment, build } = await envs.rebuild(req.params.name, parseBody(rebuildBody, jsonBody(req)), actor);
    reply.code(202);
    return { environment: environmentModel(environment, true), build: buildModel(build) };
  });

  app.post('/plasma/environments/:name/cancel', async (req: Named) => {
    const actor = await manager(ctx, req);
    return environmentModel(await envs.cancel(req.params.name, actor), true);
  });

  app.get('/plasma/environments/:name/builds', async (req: Named) => {
    await manager(ctx, req);
    return (await envs.buildHistory(req.params.name)).map(buildModel);
  });

  app.get('/plasma/environments/:name/logs', async (req: Named, reply: FastifyReply) => {
    await manager(ctx, req);
    const feed = await envs.logFeed(req.params.name);
    const wantsStream = String(req.headers.accept ?? '').includes('text/event-stream');
    if (!wantsStream) return { build: buildModel(feed.build), log: feed.text };
    await streamBuildLog(reply, feed);
    return reply;
  });

  for (const method of ['post', 'delete'] as const) {
    app[method]('/plasma/environments/:name/groups', async (req: Named) => {
      const actor = await manager(ctx, req, PERMISSIONS_SCOPE);
      const { groups } = parseBody(groupsBody, jsonBody(req));
      const env = method === 'post' ? await envs.grant(req.params.name, groups, actor) : await envs.revoke(req.params.name, groups, actor);
      return environmentModel(env, true);
    });
  }

  app.get('/plasma/permissions', async (req) => {
    requireScopes(await identify(ctx, req), [PERMISSIONS_SCOPE, ENVIRONMENTS_SCOPE]);
    return envs.permissions();
  });

  const replace = async (req: FastifyRequest) => {
    const actor = await manager(ctx, req, PERMISSIONS_SCOPE);
    const body = jsonBody(req);
    if (body === undefined) throw new ApiError(400, 'the body must be {"permissions": {"<environment>": ["<group>", …]}}');
    return envs.replacePermissions(body, actor);
  };
  app.put('/plasma/permissions', replace);
  // tljh-plasma's page saved with a POST of [{"name": <environment>, "value": <group>}, …].
  app.post('/plasma/permissions', replace);
}
