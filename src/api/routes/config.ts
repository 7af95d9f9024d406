import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../../config/index.ts';
import type { HubContext } from '../context.ts';
import { ApiError } from '../http.ts';
import { identify, requireScopes } from '../identity.ts';

/** POST /hub/api/plasma/config/reload: re-reads config.yaml and applies what can be applied live. */
export function registerConfigRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.post('/plasma/config/reload', async (req) => {
    const identity = requireScopes(await identify(ctx, req), ['shutdown']);
    if (!ctx.reloadConfig) throw new ApiError(503, 'this hub cannot reload its config');
    try {
      const result = await ctx.reloadConfig();
      ctx.log.info({ by: identity.user.name, ...result }, 'config reloaded');
      return result;
    } catch (err) {
      if (err instanceof ConfigError) throw new ApiError(400, `${err.message}\nnothing was applied`);
      throw err;
    }
  });
}
