import type { FastifyInstance } from 'fastify';
import type { HubContext } from './context.ts';
import { ApiError, JUPYTERHUB_VERSION, sendError } from './http.ts';
import { EnvironmentError } from '../environments/index.ts';
import { registerActivityRoutes } from './routes/activity.ts';
import { registerEnvironmentRoutes } from './routes/environments.ts';
import { registerGroupRoutes } from './routes/groups.ts';
import { registerHubRoutes } from './routes/hub.ts';
import { registerMonitoringRoutes } from './routes/monitoring.ts';
import { registerServerRoutes } from './routes/servers.ts';
import { registerTokenRoutes } from './routes/tokens.ts';
import { registerUserRoutes } from './routes/users.ts';
import { registerPlasmaUserRoutes } from './routes/plasma-users.ts';
import { registerCullerRoutes } from './routes/culler.ts';
import { registerConfigRoutes } from './routes/config.ts';

/** The JupyterHub 3-compatible REST API under <base>hub/api. */
export async function registerApi(app: FastifyInstance, ctx: HubContext): Promise<void> {
  await app.register(async (api) => {
    api.addHook('onSend', async (_req, reply, payload) => {
      reply.header('Access-Control-Allow-Headers', 'accept, content-type, authorization');
      if (!reply.getHeader('content-type')) reply.type('application/json');
      return payload;
    });
    api.setErrorHandler((err, req, reply) => {
      if (err instanceof ApiError) return sendError(reply, err.status, err.message, err.extra);
      if (err instanceof EnvironmentError) return sendError(reply, err.status, err.message, err.extra);
      const status = (err as { statusCode?: number }).statusCode;
      if (status && status >= 400 && status < 500) return sendError(reply, status, (err as Error).message);
      ctx.log.error({ err, url: req.url.split('?')[0] }, 'API error');
      return sendError(reply, 500, 'Internal server error');
    });
    api.setNotFoundHandler((_req, reply) => sendError(reply, 404, 'Not Found'));
    registerHubRoutes(api, ctx);
    registerUserRoutes(api, ctx);
    registerActivityRoutes(api, ctx);
    registerServerRoutes(api, ctx);
    registerTokenRoutes(api, ctx);
    registerGroupRoutes(api, ctx);
    registerMonitoringRoutes(api, ctx);
    registerEnvironmentRoutes(api, ctx);
    registerPlasmaUserRoutes(api, ctx);
    registerCullerRoutes(api, ctx);
    registerConfigRoutes(api, ctx);
  }, { prefix: `${ctx.urls.baseUrl}hub/api` });
}

export { JUPYTERHUB_VERSION };
export type { HubContext } from './context.ts';

export { AnswerCache } from './answer-cache.ts';
export { IdentityCache } from './identity-cache.ts';
