import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { METRICS_CONTENT_TYPE } from '../../metrics/index.ts';
import type { HubContext } from '../context.ts';
import { ApiError, sendError } from '../http.ts';
import { identify, requireScopes } from '../identity.ts';

const DAY = 86400_000;

/** Fills the gauges that count rows, right before a scrape (so they can never drift). */
async function refresh(ctx: HubContext): Promise<void> {
  const m = ctx.metrics!;
  const db = ctx.repo.db;
  const running = await db.selectFrom('servers').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'running').executeTakeFirstOrThrow();
  m.runningServers.set(Number(running.n));
  m.users.set(Number((await ctx.repo.countUsers()).n));
  const now = Date.now();
  for (const [period, ms] of [['24h', DAY], ['7d', 7 * DAY], ['30d', 30 * DAY]] as const) {
    const since = new Date(now - ms).toISOString();
    const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('last_activity', '>=', since).executeTakeFirstOrThrow();
    m.activeUsers.set({ period }, Number(row.n));
  }
  const builds = await db.selectFrom('builds').select(['status', sql<number>`count(*)`.as('n')]).groupBy('status').execute();
  m.builds.reset();
  for (const b of builds) m.builds.set({ status: b.status }, Number(b.n));
}

/** GET /hub/metrics: the hub's metrics and the proxy's own counters, in Prometheus' text format. */
export function registerMetricsRoute(app: FastifyInstance, ctx: HubContext): void {
  app.get(`${ctx.urls.baseUrl}hub/metrics`, async (req, reply) => {
    if (!ctx.metrics) return sendError(reply, 404, 'metrics are off');
    if (ctx.config.metrics.authenticate) {
      try {
        requireScopes(await identify(ctx, req), ['read:metrics']);
      } catch (err) {
        if (err instanceof ApiError) return sendError(reply, err.status, err.message);
        throw err;
      }
    }
    await refresh(ctx);
    let proxy = '';
    try {
      const routes = await ctx.servers.listRoutes();
      ctx.metrics.proxyRoutes.set(routes.size);
      proxy = (await ctx.proxyMetrics?.()) ?? '';
    } catch (err) {
      ctx.log.debug({ err: (err as Error).message }, 'metrics: the proxy did not answer');
    }
    return reply.type(METRICS_CONTENT_TYPE).send(`${await ctx.metrics.text()}${proxy}`);
  });
}
