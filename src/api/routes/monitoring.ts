import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import { badRequest, notFound } from '../http.ts';
import { identify, requireScopes } from '../identity.ts';
import { authorizedUser } from './users.ts';

const MAX_LOG_LINES = 2000;

function linesOf(req: FastifyRequest): number {
  const raw = (req.query as Record<string, string | undefined>).lines;
  if (raw === undefined || raw === '') return 200;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1) throw badRequest(`lines must be a positive integer, not ${JSON.stringify(raw)}`);
  return Math.min(Number(raw), MAX_LOG_LINES);
}

/** Plasma's monitoring (what its admins used Cockpit for): the host, each running server's use, its logs. */
export function registerMonitoringRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.get('/plasma/monitoring/host', async (req) => {
    requireScopes(await identify(ctx, req), ['read:metrics']);
    return ctx.monitor.host.read();
  });

  app.get('/plasma/monitoring/servers', async (req) => {
    requireScopes(await identify(ctx, req), ['read:metrics']);
    const latest = (req.query as Record<string, string | undefined>).latest;
    const onlyLatest = latest !== undefined && latest !== '0' && latest !== 'false';
    return {
      enabled: ctx.config.monitoring.enabled,
      interval: ctx.monitor.servers.intervalSeconds,
      history_minutes: ctx.config.monitoring.history_minutes,
      servers: ctx.monitor.servers.series().map((s) => ({
        user: s.user,
        server: s.server,
        environment: s.environment,
        memory_limit: s.memoryLimit,
        samples: (onlyLatest ? s.samples.slice(-1) : s.samples).map((p) => ({ t: new Date(p.t).toISOString(), cpu: p.cpu, memory: p.memory })),
      })),
    };
  });

  const logs = async (req: FastifyRequest<{ Params: { name: string; server?: string } }>) => {
    const { user } = await authorizedUser(ctx, req, req.params.name, ['admin:servers']);
    const lines = linesOf(req);
    const server = await ctx.repo.findServer(user.id, req.params.server ?? '');
    if (!server || server.status === 'stopped') throw notFound(`${user.name} has no running server${req.params.server ? ` named ${req.params.server}` : ''}`);
    let state: Record<string, unknown> = {};
    try {
      state = JSON.parse(server.spawner_state);
    } catch {
      // no state: no logs
    }
    let log = '';
    try {
      for await (const text of ctx.spawner.streamLogs?.(state, { lines, follow: false }) ?? []) log += text;
    } catch (err) {
      // A container removed in the meantime has no logs; anything else is the hub's error.
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
    return { user: user.name, server: server.name, lines, log };
  };
  app.get('/plasma/monitoring/servers/:name/logs', logs);
  app.get('/plasma/monitoring/servers/:name/:server/logs', logs);
}
