import fs from 'node:fs';
import path from 'node:path';
import { ConfigEditor } from '../config/edit.ts';
import type { PlasmaConfig } from '../config/index.ts';
import type { Repo, UserDiskRepo } from '../db/index.ts';
import * as accounts from '../system/accounts.ts';
import { groupsOfUser, lookupGroup, lookupUser } from '../system/users.ts';
import { quotaProblem, setQuota } from './quota.ts';
import { BatchError, type BatchUser } from './users-csv.ts';

/** Batches of users: plan (what would change), then apply with undo; removal deletes only what it may. */

export interface BatchDeps {
  repo: Repo;
  disk: UserDiskRepo;
  config: PlasmaConfig;
  /** config.yaml, edited when the groups go into environments.groups. */
  configFile: string;
  /** Called with the saved config's environments.groups so a running hub applies it at once. */
  onEnvironmentGroups?(groups: string[]): void;
  progress?(message: string): void;
}

export interface ImportPlan {
  users: BatchUser[];
  newGroups: string[];
  environmentGroups: string[];
  /** One line per change, for --dry-run and the API. */
  steps: string[];
}

export async function planImport(users: BatchUser[], deps: BatchDeps, options: { addToEnvironmentGroups?: boolean } = {}): Promise<ImportPlan> {
  const problems: string[] = [];
  for (const u of users) {
    if (await lookupUser(u.username)) problems.push(`line ${u.line}: user ${u.username} already exists on this system`);
    else if (await lookupGroup(u.username)) problems.push(`line ${u.line}: a group named ${u.username} exists, and useradd needs that name for the user's own group`);
    if (fs.existsSync(u.home)) problems.push(`line ${u.line}: home ${u.home} already exists`);
    else if (path.dirname(u.home) !== path.resolve(deps.config.users.home_base) && !fs.statSync(path.dirname(u.home), { throwIfNoEntry: false })?.isDirectory()) {
      problems.push(`line ${u.line}: home ${u.home}: the folder ${path.dirname(u.home)} does not exist`);
    }
  }
  const wanted = [...new Set(users.flatMap((u) => u.groups))].sort();
  const newGroups: string[] = [];
  for (const g of wanted) {
    const existing = await lookupGroup(g);
    if (!existing) newGroups.push(g);
    // sudo, docker, adm, shadow… (Debian's system gids, below 1000): joining one would give root on the host.
    // Debian's "users" (100) is the one meant for ordinary people.
    else if (existing.gid < 1000 && existing.name !== 'users') {
      problems.push(`group ${g} is a system group (gid ${existing.gid}); users are never added to system groups`);
    }
  }
  const taken = new Set(users.map((u) => u.username));
  for (const g of newGroups) if (taken.has(g)) problems.push(`group ${g} has the name of a user in the file; useradd makes a group of that name for the user`);
  if (deps.config.users.disk.setquota && users.some((u) => u.softLimit || u.hardLimit)) {
    // Checked before anything is made: an import never stops half-way on quotas.
    const problem = quotaProblem(deps.config.users.home_base);
    if (problem) problems.push(`users.disk.setquota is on, but ${problem}`);
  }
  if (problems.length) throw new BatchError(problems);
  const current = deps.config.environments.groups;
  const environmentGroups = options.addToEnvironmentGroups ? wanted.filter((g) => !current.includes(g)) : [];
  const steps = [
    ...newGroups.map((g) => `create group ${g}`),
    ...users.map((u) => `create user ${u.username} (home ${u.home}${u.groups.length ? `, groups ${u.groups.join(', ')}` : ''}${u.admin ? ', admin' : ''}`
      + `${u.password ? '' : ', no password'}${u.softLimit || u.hardLimit ? `, disk limits ${u.softLimit ?? '-'}/${u.hardLimit ?? '-'} bytes` : ''})`),
    ...(environmentGroups.length ? [`add ${environmentGroups.join(', ')} to environments.groups${current.length ? '' : ' (empty until now: every hub group could be granted; from now on only the listed ones)'}`] : []),
  ];
  return { users, newGroups, environmentGroups, steps };
}

/** Applies a plan; when a step fails, what this run made is undone (in reverse order) and the error is rethrown. */
export async function runImport(plan: ImportPlan, deps: BatchDeps): Promise<{ created: string[]; groups: string[] }> {
  const undo: Array<() => Promise<unknown>> = [];
  const say = deps.progress ?? (() => undefined);
  try {
    for (const g of plan.newGroups) {
      await accounts.createGroup(g);
      undo.push(() => accounts.deleteGroup(g));
      await deps.disk.markManaged('group', g);
      undo.push(() => deps.disk.forgetManaged('group', g));
      say(`created group ${g}`);
    }
    // users.home_base is made when missing; a home of its own (the CSV's home column) must have its folder already.
    fs.mkdirSync(deps.config.users.home_base, { recursive: true, mode: 0o755 });
    let n = 0;
    for (const u of plan.users) {
      await accounts.createUser(u.username, { home: u.home, groups: u.groups });
      undo.push(() => accounts.deleteUser(u.username, { removeHome: true }));
      if (u.password) await accounts.setPassword(u.username, u.password);
      await deps.disk.markManaged('user', u.username);
      undo.push(() => deps.disk.forgetManaged('user', u.username));
      const existing = await deps.repo.findUser(u.username);
      const hubUser = existing ?? (await deps.repo.createUser(u.username, u.admin));
      if (!existing) undo.push(() => deps.repo.deleteUser(hubUser.id));
      else if (u.admin && !existing.admin) await deps.repo.updateUser(existing.id, { admin: 1 });
      for (const g of await groupsOfUser(u.username)) {
        const group = (await deps.repo.findGroup(g)) ?? (await deps.repo.createGroup(g, true));
        await deps.repo.addMembers(group.id, [hubUser.id]);
      }
      if (u.softLimit || u.hardLimit) {
        await deps.disk.setLimits(hubUser.id, u.softLimit, u.hardLimit);
        if (deps.config.users.disk.setquota) await setQuota(u.username, u.home, u.softLimit ?? 0, u.hardLimit ?? 0);
      }
      say(`[${++n}/${plan.users.length}] created user ${u.username}`);
    }
    if (plan.environmentGroups.length) {
      const editor = new ConfigEditor(deps.configFile);
      const saved = editor.get('environments.groups');
      for (const g of plan.environmentGroups) editor.addItem('environments.groups', g);
      editor.save();
      undo.push(async () => {
        const back = new ConfigEditor(deps.configFile);
        if (saved === undefined) back.unset('environments.groups');
        else for (const g of plan.environmentGroups) back.removeItem('environments.groups', g);
        back.save();
      });
      deps.onEnvironmentGroups?.([...deps.config.environments.groups, ...plan.environmentGroups]);
      say(`added ${plan.environmentGroups.join(', ')} to environments.groups`);
    }
    return { created: plan.users.map((u) => u.username), groups: plan.newGroups };
  } catch (err) {
    say(`failed: ${(err as Error).message}; undoing what this import made`);
    for (const step of undo.reverse()) await step().catch((e) => say(`undo step failed: ${(e as Error).message}`));
    throw err;
  }
}

export interface RemovePlan {
  users: Array<BatchUser & { exists: boolean; hubUserId: number | null }>;
  steps: string[];
}

export async function planRemove(users: BatchUser[], deps: BatchDeps, options: { removeHomes: boolean; runningServersOk?: boolean }): Promise<RemovePlan> {
  const problems: string[] = [];
  const out: RemovePlan['users'] = [];
  for (const u of users) {
    const account = await lookupUser(u.username);
    const hub = await deps.repo.findUser(u.username);
    if (account && account.uid < 1000) problems.push(`line ${u.line}: ${u.username} is a system account (uid ${account.uid}); Plasma does not remove those`);
    if (hub && !options.runningServersOk && (await deps.repo.serversOf(hub.id)).some((s) => s.status !== 'stopped')) {
      problems.push(`line ${u.line}: ${u.username} has a running server; stop it first`);
    }
    out.push({ ...u, home: account?.home ?? '', exists: !!account, hubUserId: hub?.id ?? null });
  }
  if (problems.length) throw new BatchError(problems);
  const steps = out.map((u) => u.exists || u.hubUserId
    ? `remove user ${u.username}${u.exists ? (options.removeHomes ? ` and their home ${u.home}` : ` (home ${u.home} kept)`) : ' (hub only: no system account)'}`
    : `skip ${u.username} (line ${u.line}): no such user`);
  return { users: out, steps };
}

/** Removes the users, then every group Plasma made that no one is left in. */
export async function runRemove(plan: RemovePlan, deps: BatchDeps, options: { removeHomes: boolean; stopServers?(userId: number): Promise<void> }) {
  const say = deps.progress ?? (() => undefined);
  const touched = new Set<string>();
  const removed: string[] = [];
  let n = 0;
  for (const u of plan.users) {
    if (u.exists) for (const g of await groupsOfUser(u.username)) touched.add(g);
    if (u.hubUserId !== null) {
      await options.stopServers?.(u.hubUserId);
      await deps.repo.deleteUser(u.hubUserId);
    }
    if (u.exists) await accounts.deleteUser(u.username, { removeHome: options.removeHomes });
    await deps.disk.forgetManaged('user', u.username);
    if (u.exists || u.hubUserId !== null) removed.push(u.username);
    say(`[${++n}/${plan.users.length}] ${u.exists || u.hubUserId !== null ? 'removed' : 'skipped'} ${u.username}`);
  }
  const groups: string[] = [];
  for (const g of touched) {
    let unix = await lookupGroup(g);
    if (unix && !unix.members.length && (await deps.disk.isManaged('group', g))) {
      await accounts.deleteGroup(g);
      await deps.disk.forgetManaged('group', g);
      unix = null;
      groups.push(g);
      say(`removed group ${g} (no members left)`);
    }
    // The hub's mirror of a UNIX group that is gone (a removed group, or a user's own group) goes with it.
    const hubGroup = await deps.repo.findGroup(g);
    if (hubGroup?.system === 1 && !unix && !(await deps.repo.groupMembers(hubGroup.id)).length) await deps.repo.deleteGroup(hubGroup.id);
  }
  return { removed, groups };
}
