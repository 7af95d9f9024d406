import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { isKnownScope, ROLE_SCOPES } from '../../auth/scopes.ts';
import type { HubContext } from '../context.ts';
import { ApiError, badRequest, notFound, objectBody, rejectUnknownKeys } from '../http.ts';
import { identify, requireScopes } from '../identity.ts';
import { tokenModel } from '../models.ts';
import { authorizedUser } from './users.ts';

export function newApiToken(): string {
  return crypto.randomBytes(16).toString('hex');
}

const MAX_EXPIRES_IN = 100 * 365 * 86400;

function tokenId(raw: string): number {
  const m = /^a?(\d{1,12})$/.exec(raw);
  if (!m) throw notFound(`Token not found ${JSON.stringify(raw)}`);
  return Number(m[1]);
}

export function registerTokenRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.get<{ Params: { name: string } }>('/users/:name/tokens', async (req) => {
    const { user } = await authorizedUser(ctx, req, req.params.name, ['read:tokens']);
    const tokens = await ctx.repo.tokensOf(user.id);
    return { api_tokens: tokens.map((t) => tokenModel(t, user)) };
  });

  app.post<{ Params: { name: string } }>('/users/:name/tokens', async (req, reply) => {
    const name = req.params.name;
    const identity = await identify(ctx, req);
    const user = await ctx.repo.findUser(name);
    const groups = user ? await ctx.repo.groupsOf(user.id) : [];
    try {
      requireScopes(identity, ['tokens'], { user: name, groups });
      if (!user) throw notFound();
    } catch (err) {
      if (!identity) throw err;
      // JupyterHub answers 403 whether the user is missing or off-limits.
      throw new ApiError(403, `User ${name} not found or no permissions to generate tokens`);
    }
    const body = objectBody(req);
    rejectUnknownKeys(body, ['note', 'expires_in', 'scopes', 'roles']);
    if (body.note !== undefined && typeof body.note !== 'string') throw badRequest('note must be a string');
    if (typeof body.note === 'string' && body.note.length > 1000) throw badRequest('note is too long (1000 characters at most)');
    let expiresAt: string | null = null;
    if (body.expires_in !== undefined && body.expires_in !== null) {
      if (typeof body.expires_in !== 'number' || !Number.isFinite(body.expires_in) || body.expires_in <= 0) {
        throw badRequest('expires_in must be a positive number of seconds');
      }
      // Past this a date cannot be written (and no one means it): 100 years.
      if (body.expires_in > MAX_EXPIRES_IN) throw badRequest(`expires_in is too large (${MAX_EXPIRES_IN} seconds, 100 years, at most)`);
      expiresAt = new Date(Date.now() + body.expires_in * 1000).toISOString();
    }
    const list = (value: unknown, what: string): string[] | undefined => {
      if (value === undefined) return undefined;
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw badRequest(`${what} must be a list of strings`);
      return value as string[];
    };
    const scopes = list(body.scopes, 'scopes');
    const roles = list(body.roles, 'roles');
    for (const s of scopes ?? []) if (!isKnownScope(s)) throw badRequest(`Unknown scope: ${s}`);
    for (const r of roles ?? []) if (!(r in ROLE_SCOPES)) throw badRequest(`Unknown role: ${r}`);
    const secret = newApiToken();
    const row = await ctx.repo.insertToken({
      userId: user!.id, token: secret, note: body.note === undefined ? 'Requested via api' : (body.note as string),
      scopes: scopes ?? (roles ? [] : ['inherit']), roles: roles ?? [], expiresAt,
    });
    ctx.log.info({ user: name, id: row.id, by: identity!.user.name }, 'API token created');
    reply.code(201);
    return { ...tokenModel(row, user!), token: secret };
  });

  app.get<{ Params: { name: string; id: string } }>('/users/:name/tokens/:id', async (req) => {
    const { user } = await authorizedUser(ctx, req, req.params.name, ['read:tokens']);
    const row = await ctx.repo.findToken(user.id, tokenId(req.params.id));
    if (!row) throw notFound(`Token not found ${JSON.stringify(req.params.id)}`);
    return tokenModel(row, user);
  });

  app.delete<{ Params: { name: string; id: string } }>('/users/:name/tokens/:id', async (req, reply) => {
    const { user } = await authorizedUser(ctx, req, req.params.name, ['tokens']);
    const row = await ctx.repo.findToken(user.id, tokenId(req.params.id));
    if (!row) throw notFound(`Token not found ${JSON.stringify(req.params.id)}`);
    // An OAuth token ends every token of its client for this user (JupyterHub's revocation).
    if (row.client_id !== 'jupyterhub') await ctx.repo.deleteTokensOfClient(user.id, row.client_id);
    else await ctx.repo.deleteToken(row.id);
    reply.code(204);
    return '';
  });
}
