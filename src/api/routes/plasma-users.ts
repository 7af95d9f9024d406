import type { FastifyInstance } from 'fastify';
import { parseSize } from '../../ops/quota.ts';
import { BatchError, readUsersCsv } from '../../ops/users-csv.ts';
import { planImport, planRemove, runImport, runRemove, type BatchDeps } from '../../ops/users-import.ts';
import type { HubContext } from '../context.ts';
import { ApiError, badRequest, objectBody, pageOf, pageResponse, rejectUnknownKeys } from '../http.ts';
import { identify, requireFullAdmin, requireScopes } from '../identity.ts';
import { authorizedUser } from './users.ts';

/** Serialises batches: two imports at once could both pass the checks for the same name. */
let batchBusy: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const run = batchBusy.then(fn);
  batchBusy = run.catch(() => undefined);
  return run;
}

function batchFailure(err: unknown): never {
  if (err instanceof BatchError) throw new ApiError(400, err.message, { problems: err.problems });
  throw err;
}

/**
 * /hub/api/plasma/users: users with their home usage and disk limits, batch import and removal from CSV
 * (the same checks and undo as `plasma users import|remove`).
 */
export function registerPlasmaUserRoutes(app: FastifyInstance, ctx: HubContext): void {
  const deps = (): BatchDeps => ({
    repo: ctx.repo, disk: ctx.disk.disk, config: ctx.config, configFile: ctx.paths.configFile,
    onEnvironmentGroups: (groups) => { ctx.config.environments.groups = groups; },
  });
  const flag = (body: Record<string, unknown>, key: string): boolean => {
    if (body[key] === undefined) return false;
    if (typeof body[key] !== 'boolean') throw new ApiError(400, `${key} must be true or false`, { field: key });
    return body[key] as boolean;
  };
  const csvOf = (body: Record<string, unknown>): string => {
    if (typeof body.csv !== 'string' || !body.csv.trim()) throw new ApiError(400, 'csv must be the CSV file\'s text (username,password,group,…)', { field: 'csv' });
    return body.csv;
  };

  // Paged as GET /users is (offset, limit up to 200, name_filter, JupyterHub's pagination on request): in SQL, so a
  // request costs the same at 10,000 users as at 10.
  app.get('/plasma/users', async (req) => {
    requireScopes(await identify(ctx, req), ['admin:users']);
    const page = pageOf(req);
    const nameFilter = (req.query as Record<string, string | undefined>).name_filter || undefined;
    const { rows: users, total } = await ctx.repo.usersPage({ nameFilter, offset: page.offset, limit: page.limit, withTotal: page.paginated });
    const rows = await ctx.disk.disk.ofUsers(users.map((u) => u.id));
    const items = users.map((u) => ({ name: u.name, admin: !!u.admin, disk: ctx.disk.view(rows.get(u.id)) }));
    return pageResponse(req, page, items, total);
  });

  app.get<{ Params: { name: string } }>('/plasma/users/:name', async (req) => {
    const { user } = await authorizedUser(ctx, req, req.params.name, ['read:users']);
    return { name: user.name, admin: !!user.admin, disk: await ctx.disk.of(user) };
  });

  app.post<{ Params: { name: string } }>('/plasma/users/:name/disk-usage', async (req) => {
    const { user } = await authorizedUser(ctx, req, req.params.name, ['admin:users']);
    const view = await ctx.disk.measure(user);
    if (!view) throw new ApiError(409, `${user.name} has no system account, so no home to measure`);
    return { name: user.name, disk: view };
  });

  app.put<{ Params: { name: string } }>('/plasma/users/:name/limits', async (req) => {
    const { user } = await authorizedUser(ctx, req, req.params.name, ['admin:users']);
    const body = objectBody(req);
    rejectUnknownKeys(body, ['soft', 'hard']);
    const size = (key: 'soft' | 'hard') => {
      const v = body[key];
      if (v === undefined || v === null || v === '') return null;
      const bytes = typeof v === 'number' ? v : typeof v === 'string' ? parseSize(v) : null;
      if (bytes === null || !(bytes > 0)) throw new ApiError(400, `${key} must be a size such as 500M or 2G, or null`, { field: key });
      return bytes;
    };
    const soft = size('soft');
    const hard = size('hard');
    if (soft && hard && soft > hard) throw badRequest('soft is larger than hard');
    await ctx.disk.disk.setLimits(user.id, soft, hard);
    return { name: user.name, disk: await ctx.disk.of(user) };
  });

  app.post('/plasma/users/import', async (req) => {
    const identity = requireScopes(await identify(ctx, req), ['admin:users']);
    const body = objectBody(req);
    rejectUnknownKeys(body, ['csv', 'dry_run', 'add_to_environment_groups']);
    const csv = csvOf(body);
    const dryRun = flag(body, 'dry_run');
    const addGroups = flag(body, 'add_to_environment_groups');
    return oneAtATime(async () => {
      try {
        const users = readUsersCsv(csv, ctx.config.users.home_base);
        if (users.some((u) => u.admin)) requireFullAdmin(identity, 'import admin users');
        const plan = await planImport(users, deps(), { addToEnvironmentGroups: addGroups });
        if (dryRun) return { dry_run: true, steps: plan.steps, created: [], groups: [] };
        const done = await runImport(plan, deps());
        ctx.log.info({ users: done.created.length, groups: done.groups, by: identity.user.name }, 'users imported');
        return { dry_run: false, steps: plan.steps, ...done };
      } catch (err) {
        return batchFailure(err);
      }
    });
  });

  app.post('/plasma/users/remove', async (req) => {
    const identity = requireScopes(await identify(ctx, req), ['admin:users']);
    const body = objectBody(req);
    rejectUnknownKeys(body, ['csv', 'dry_run', 'remove_homes']);
    const csv = csvOf(body);
    const removeHomes = flag(body, 'remove_homes');
    return oneAtATime(async () => {
      try {
        const users = readUsersCsv(csv, ctx.config.users.home_base, { forRemoval: true });
        if (users.some((u) => u.username === identity.user.name)) throw new BatchError([`the file lists ${identity.user.name}, who is making this request`]);
        for (const u of users) if ((await ctx.repo.findUser(u.username))?.admin) requireFullAdmin(identity, 'remove admin accounts');
        const plan = await planRemove(users, deps(), { removeHomes, runningServersOk: true });
        if (flag(body, 'dry_run')) return { dry_run: true, steps: plan.steps, removed: [], groups: [] };
        const done = await runRemove(plan, deps(), {
          removeHomes,
          stopServers: async (userId) => {
            const user = await ctx.repo.findUserById(userId);
            if (!user) return;
            for (const s of await ctx.repo.serversOf(userId)) if (s.status !== 'stopped') await ctx.servers.stop(user, s.name, { waitMs: 60_000 });
          },
        });
        ctx.log.info({ users: done.removed.length, groups: done.groups, by: identity.user.name }, 'users removed');
        return { dry_run: false, steps: plan.steps, ...done };
      } catch (err) {
        return batchFailure(err);
      }
    });
  });
}
