import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import { ApiError, badRequest, JUPYTERHUB_VERSION, objectBody, rejectUnknownKeys } from '../http.ts';
import type { UserRow } from '../../db/index.ts';
import { identify, identityFromToken, requireScopes, type Identity } from '../identity.ts';
import { userModel } from '../models.ts';

export const PLASMA_VERSION = '0.1.0';

export function registerHubRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.get('/', async () => ({ version: JUPYTERHUB_VERSION }));

  app.get('/info', async (req) => {
    requireScopes(await identify(ctx, req), ['read:hub']);
    return {
      version: JUPYTERHUB_VERSION,
      plasma_version: PLASMA_VERSION,
      python: `node ${process.versions.node}`,
      sys_executable: process.execPath,
      spawner: { class: `plasma.spawner.${ctx.config.spawner.type}`, version: PLASMA_VERSION },
      authenticator: { class: `plasma.auth.${ctx.authenticator.kind}`, version: PLASMA_VERSION },
    };
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/user', async (req) => {
    const identity = await identify(ctx, req);
    if (!identity) throw new ApiError(403, 'Missing or invalid credentials');
    const model = await userModel(ctx, identity, await freshUser(ctx, identity));
    return { ...model, session_id: identity.token?.session_id ?? identity.session?.session_id ?? null, scopes: [...identity.scopes].sort() };
  });

  // Deprecated in JupyterHub but still used by old clients.
  app.get<{ Params: { token: string } }>('/authorizations/token/:token', async (req) => {
    const identity = await identityFromToken(ctx, req.params.token);
    if (!identity) throw new ApiError(404, 'Not Found');
    return userModel(ctx, identity, await freshUser(ctx, identity));
  });

  app.get('/services', async (req) => {
    requireScopes(await identify(ctx, req), ['list:services']);
    return {};
  });
  app.get<{ Params: { name: string } }>('/services/:name', async (req) => {
    requireScopes(await identify(ctx, req), ['read:services', 'read:services:name', 'read:roles:services'], {});
    throw new ApiError(404, `No such service: ${req.params.name}`);
  });

  app.get('/proxy', async (req) => {
    requireScopes(await identify(ctx, req), ['proxy']);
    const routes = await ctx.servers.listRoutes();
    const out: Record<string, unknown> = {};
    for (const r of routes.values()) out[r.routespec] = { routespec: r.routespec, target: r.target, data: r.data };
    return out;
  });
  const check = async (req: FastifyRequest) => {
    requireScopes(await identify(ctx, req), ['proxy']);
    const body = objectBody(req);
    rejectUnknownKeys(body, ['api_url', 'auth_token']);
    if (Object.keys(body).length) throw badRequest('changing the proxy API at run time is not supported; set proxy.* in the config');
    await ctx.servers.checkRoutes();
    return '';
  };
  app.post('/proxy', check);
  app.patch('/proxy', check);

  app.post('/shutdown', async (req, reply) => {
    requireScopes(await identify(ctx, req), ['shutdown']);
    const body = objectBody(req);
    rejectUnknownKeys(body, ['servers', 'proxy']);
    if (body.servers === true) throw badRequest('Plasma never stops user servers on shutdown; stop them first');
    setTimeout(() => ctx.shutdown(), 100).unref();
    reply.code(202);
    return { message: 'Shutting down Hub' };
  });

}

/** The caller's row as it is now: a kept identity's activity times may be older than another process's writes. */
async function freshUser(ctx: HubContext, identity: Identity): Promise<UserRow> {
  return (await ctx.repo.findUserById(identity.user.id)) ?? identity.user;
}
