import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { usernameProblem } from '../../auth/index.ts';
import { ServerError, type ServerEvent } from '../../servers/index.ts';
import type { HubContext } from '../context.ts';
import { ApiError, badRequest, isPlainObject, jsonBody, notFound } from '../http.ts';
import { openEventStream } from '../event-stream.ts';
import { authorizedUser } from './users.ts';

const KEEPALIVE_MS = 8000;

function serverNameOf(ctx: HubContext, raw: string | undefined): string {
  if (raw === undefined || raw === '') return '';
  if (!ctx.config.spawner.named_servers.enabled) throw badRequest('Named servers are not enabled on this hub');
  const problem = usernameProblem(raw);
  if (problem) throw badRequest(problem.replace(/username/g, 'server name'));
  return raw;
}

export function registerServerRoutes(app: FastifyInstance, ctx: HubContext): void {
  const start = async (req: FastifyRequest<{ Params: { name: string; server?: string } }>, reply: FastifyReply) => {
    const body = jsonBody(req);
    const serverName = serverNameOf(ctx, req.params.server);
    const { user } = await authorizedUser(ctx, req, req.params.name, ['servers']);
    let options: Record<string, unknown> = {};
    if (body !== undefined && body !== null) {
      if (!isPlainObject(body)) throw badRequest('user options must be a JSON object');
      options = body;
    }
    try {
      const outcome = await ctx.servers.start(user, serverName, options);
      reply.code(outcome === 'ready' ? 201 : 202).type('text/plain');
      return '';
    } catch (err) {
      if (err instanceof ServerError) throw new ApiError(err.status, err.message);
      throw err;
    }
  };

  const stop = async (req: FastifyRequest<{ Params: { name: string; server?: string } }>, reply: FastifyReply) => {
    const body = jsonBody(req);
    const serverName = serverNameOf(ctx, req.params.server);
    const { user } = await authorizedUser(ctx, req, req.params.name, ['delete:servers']);
    let remove = false;
    if (body !== undefined && body !== null) {
      if (!isPlainObject(body)) throw badRequest('body must be a JSON object such as {"remove": true}');
      if (body.remove !== undefined && typeof body.remove !== 'boolean') throw badRequest('remove must be a boolean');
      remove = body.remove === true;
    }
    if (serverName && !(await ctx.repo.findServer(user.id, serverName))) throw notFound(`${user.name} has no server named ${serverName}`);
    try {
      const outcome = await ctx.servers.stop(user, serverName, { remove });
      reply.code(outcome === 'stopped' ? 204 : 202);
      return '';
    } catch (err) {
      if (err instanceof ServerError) throw new ApiError(err.status, err.message);
      throw err;
    }
  };

  const progress = async (req: FastifyRequest<{ Params: { name: string; server?: string } }>, reply: FastifyReply) => {
    const serverName = serverNameOf(ctx, req.params.server);
    const { user } = await authorizedUser(ctx, req, req.params.name, ['read:servers']);
    const server = await ctx.repo.findServer(user.id, serverName);
    const feed = server ? ctx.servers.progress(server) : null;
    if (!server || !feed) throw notFound(`${user.name}'s server${serverName ? ` ${serverName}` : ''} is not running`);
    const stream = openEventStream(reply);
    const send = (event: ServerEvent) => {
      const { status: _status, ...visible } = event as ServerEvent & { status?: number };
      stream.send(visible);
    };
    const final = (e: ServerEvent) => e.ready === true || e.failed === true;
    for (const e of feed.events) send(e);
    if (feed.events.some(final) || !feed.subscribe) return stream.end();
    const unsubscribe = feed.subscribe((e) => {
      send(e);
      if (final(e)) stream.end();
    });
    await stream.untilClosed(KEEPALIVE_MS, unsubscribe);
  };

  app.post('/users/:name/server', start);
  app.post('/users/:name/servers/:server', start);
  app.delete('/users/:name/server', stop);
  app.delete('/users/:name/servers/:server', stop);
  app.get('/users/:name/server/progress', progress);
  app.get('/users/:name/servers/:server/progress', progress);
}
