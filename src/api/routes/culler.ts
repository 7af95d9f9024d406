import type { FastifyInstance, FastifyRequest } from 'fastify';
import { nowIso } from '../../db/index.ts';
import type { HubContext } from '../context.ts';
import { ApiError, notFound } from '../http.ts';
import { authorizedUser } from './users.ts';

type Req = FastifyRequest<{ Params: { name: string; server?: string } }>;

/**
 * /hub/api/plasma/culler/{user}[/{server}]: when the culler will stop a running server and whether the user is
 * being warned (the frame around their server polls it); POST …/keep counts as activity ("I am still here").
 */
export function registerCullerRoutes(app: FastifyInstance, ctx: HubContext): void {
  const running = async (req: Req, scopes: string[]) => {
    const { user } = await authorizedUser(ctx, req, req.params.name, scopes);
    const serverName = req.params.server ?? '';
    const server = await ctx.repo.findServer(user.id, serverName);
    if (!server || server.status !== 'running') throw notFound(`${user.name} has no running server${serverName ? ` named ${serverName}` : ''}`);
    if (!ctx.culler) throw new ApiError(503, 'the culler is not running yet');
    return { user, server };
  };
  const status = async (req: Req) => {
    const { user, server } = await running(req, ['read:servers']);
    return { user: user.name, server: server.name, ...ctx.culler!.status(server) };
  };
  const keep = async (req: Req) => {
    const { user, server } = await running(req, ['users:activity']);
    const now = nowIso();
    await ctx.repo.bumpServerActivity(server.id, now);
    await ctx.repo.bumpUserActivity(user.id, now);
    const fresh = (await ctx.repo.findServer(user.id, server.name))!;
    return { user: user.name, server: server.name, ...ctx.culler!.status(fresh) };
  };
  app.get('/plasma/culler/:name', status);
  app.get('/plasma/culler/:name/:server', status);
  app.post('/plasma/culler/:name/keep', keep);
  app.post('/plasma/culler/:name/:server/keep', keep);
}
