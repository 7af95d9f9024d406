import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../context.ts';
import { badRequest, isPlainObject, objectBody } from '../http.ts';
import { authorizedUser } from './users.ts';

const MAX_FUTURE_MS = 59 * 60 * 1000;

/** Parses a timestamp as JupyterHub does: ISO-8601, a naive one taken as UTC. */
function parseTimestamp(value: unknown, what: string): string {
  if (typeof value !== 'string') throw badRequest(`${what} must be an ISO-8601 timestamp string`);
  const naive = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value.trim());
  const date = new Date(naive ? `${value.trim().replace(' ', 'T')}Z` : value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) throw badRequest(`${what} is not a valid timestamp: ${JSON.stringify(value)}`);
  if (date.getTime() - Date.now() > MAX_FUTURE_MS) throw badRequest(`${what} is in the future: ${value}`);
  return date.toISOString();
}

export function registerActivityRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.post<{ Params: { name: string } }>('/users/:name/activity', async (req, reply) => {
    const { user } = await authorizedUser(ctx, req, req.params.name, ['users:activity']);
    const body = objectBody(req);
    if (body.last_activity === undefined && body.servers === undefined) {
      throw badRequest('body must contain at least one of `last_activity` or `servers`');
    }
    const userTime = body.last_activity === undefined ? null : parseTimestamp(body.last_activity, 'last_activity');
    const serverTimes: Array<{ id: number; when: string }> = [];
    if (body.servers !== undefined) {
      const shape = 'servers must be a dict of the form {server_name: {last_activity: timestamp}}';
      if (!isPlainObject(body.servers)) throw badRequest(shape);
      const servers = await ctx.repo.serversOf(user.id);
      for (const [name, entry] of Object.entries(body.servers)) {
        if (!isPlainObject(entry) || entry.last_activity === undefined) throw badRequest(shape);
        const server = servers.find((s) => s.name === name);
        if (!server) throw badRequest(`No such server '${name}' for user ${user.name}`);
        serverTimes.push({ id: server.id, when: parseTimestamp(entry.last_activity, `servers.${name}.last_activity`) });
      }
    }
    // Validate everything first so a bad entry changes nothing; then move times forward only.
    for (const s of serverTimes) await ctx.repo.bumpServerActivity(s.id, s.when);
    for (const s of serverTimes) ctx.servers.nudge(s.id);
    const latest = [userTime, ...serverTimes.map((s) => s.when)].filter((t): t is string => !!t).sort().pop();
    if (latest) await ctx.repo.bumpUserActivity(user.id, latest);
    reply.code(200);
    return '';
  });
}
