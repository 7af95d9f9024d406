import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import YAML from 'yaml';
import { usernameProblem } from '../auth/index.ts';
import { ConfigEditor } from '../config/edit.ts';
import { loadConfig, type PlasmaPaths } from '../config/index.ts';
import { EnvironmentRepo, openDatabase, Repo } from '../db/index.ts';
import { EnvironmentService } from '../environments/index.ts';
import { createLogger } from '../log/index.ts';

/**
 * `plasma import --from-tljh DIR`: a TLJH/Plasma host's state into Plasma — JupyterHub's database (users, admin
 * flags, last activity, groups, API tokens, kept working because JupyterHub's hashes are verified as they are),
 * tljh-plasma's permissions, and the tljh-config keys that have a Plasma equivalent. Images built by
 * tljh-repo2docker need no import: their labels already make them environments. Nothing that exists is
 * overwritten, and what is left out is said, with why.
 */

export interface Skipped {
  what: string;
  why: string;
}

export interface ImportReport {
  sources: { jupyterhub: string; permissions: string | null; config: string | null };
  users: string[];
  admins: string[];
  groups: string[];
  memberships: number;
  tokens: number;
  permissions: Array<{ environment: string; group: string }>;
  config: string[];
  skipped: Skipped[];
  dry_run: boolean;
}

function first(...candidates: string[]): string | null {
  return candidates.find((c) => fs.existsSync(c)) ?? null;
}

/** JupyterHub stores naive UTC datetimes ("2026-12-01 10:00:00.123456"). */
function iso(value: string | null): string | null {
  if (!value) return null;
  const d = new Date(`${value.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** tljh-config keys with a Plasma equivalent. */
const CONFIG_KEYS: Record<string, string> = {
  'users.admin': 'auth.admin_users',
  'plasma.groups': 'environments.groups',
  'limits.memory': 'spawner.docker.memory_limit',
  'limits.cpu': 'spawner.docker.cpu_limit',
  'services.cull.timeout': 'culler.timeout',
};

function flatten(value: unknown, prefix = ''): Array<[string, unknown]> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [[prefix, value]];
  return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}

export async function importTljh(paths: PlasmaPaths, dir: string, options: { dryRun: boolean }): Promise<ImportReport> {
  const root = path.resolve(dir);
  const hubDb = first(path.join(root, 'state', 'jupyterhub.sqlite'), path.join(root, 'jupyterhub.sqlite'));
  if (!hubDb) throw new Error(`${root} holds no jupyterhub.sqlite (looked in state/ and the folder itself): give TLJH's folder, e.g. /opt/tljh`);
  const permissionsDb = first(path.join(root, 'state', 'tljh_plasma.sqlite'), path.join(root, 'tljh_plasma.sqlite'));
  const configFile = first(path.join(root, 'config', 'config.yaml'));
  const report: ImportReport = {
    sources: { jupyterhub: hubDb, permissions: permissionsDb, config: configFile }, users: [], admins: [], groups: [], memberships: 0,
    tokens: 0, permissions: [], config: [], skipped: [], dry_run: options.dryRun,
  };
  const jh = new SQLite(hubDb, { readonly: true, fileMustExist: true });
  let tljhPermissions: Array<{ group: string; image: string }> = [];
  try {
    if (!jh.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'").get()) throw new Error(`${hubDb} is not a JupyterHub database (no users table)`);
    if (permissionsDb) {
      const p = new SQLite(permissionsDb, { readonly: true, fileMustExist: true });
      try {
        tljhPermissions = p.prepare('SELECT "group", image FROM permissions ORDER BY id').all() as Array<{ group: string; image: string }>;
      } finally {
        p.close();
      }
    }
    const opened = await openDatabase({ file: paths.database, backupsDir: paths.backupsDir });
    try {
      await opened.db.transaction().execute(async (tx) => {
        const repo = new Repo(tx);
        await importUsers(jh, repo, report);
        await importGroups(jh, repo, report);
        await importTokens(jh, repo, report);
        await importPermissions(tljhPermissions, new EnvironmentService(repo, loadConfig(paths), paths, createLogger('plasma-import', 'error')), new EnvironmentRepo(tx), report);
        if (options.dryRun) throw new DryRun();
      }).catch((err) => {
        if (!(err instanceof DryRun)) throw err;
      });
    } finally {
      await opened.close();
    }
  } finally {
    jh.close();
  }
  if (configFile) importConfig(configFile, paths, report, options.dryRun);
  return report;
}

class DryRun extends Error {}

async function importUsers(jh: SQLite.Database, repo: Repo, report: ImportReport): Promise<void> {
  const admins = new Set((jh.prepare(`SELECT u.name FROM users u JOIN user_role_map m ON m.user_id = u.id JOIN roles r ON r.id = m.role_id WHERE r.name = 'admin'`).all() as Array<{ name: string }>).map((r) => r.name));
  const users = jh.prepare('SELECT name, admin, created, last_activity FROM users ORDER BY id').all() as Array<{ name: string; admin: number; created: string; last_activity: string | null }>;
  for (const u of users) {
    const problem = usernameProblem(u.name);
    if (problem) {
      report.skipped.push({ what: `user ${u.name}`, why: problem });
      continue;
    }
    if (await repo.findUser(u.name)) {
      report.skipped.push({ what: `user ${u.name}`, why: 'a Plasma user of that name exists (kept as it is)' });
      continue;
    }
    const admin = !!u.admin || admins.has(u.name);
    const created = await repo.createUser(u.name, admin);
    const last = iso(u.last_activity);
    await repo.db.updateTable('users').set({ created: iso(u.created) ?? created.created, last_activity: last, last_login: last }).where('id', '=', created.id).execute();
    report.users.push(u.name);
    if (admin) report.admins.push(u.name);
  }
}

async function importGroups(jh: SQLite.Database, repo: Repo, report: ImportReport): Promise<void> {
  const groups = jh.prepare('SELECT id, name FROM groups ORDER BY id').all() as Array<{ id: number; name: string }>;
  const members = jh.prepare('SELECT u.name FROM user_group_map m JOIN users u ON u.id = m.user_id WHERE m.group_id = ? ORDER BY u.id');
  for (const g of groups) {
    const problem = usernameProblem(g.name);
    if (problem) {
      report.skipped.push({ what: `group ${g.name}`, why: problem.replace(/username/g, 'group name') });
      continue;
    }
    const group = (await repo.findGroup(g.name)) ?? (await repo.createGroup(g.name));
    report.groups.push(g.name);
    const ids: number[] = [];
    for (const { name } of members.all(g.id) as Array<{ name: string }>) {
      const user = await repo.findUser(name);
      if (user) ids.push(user.id);
    }
    await repo.addMembers(group.id, ids);
    report.memberships += ids.length;
  }
}

async function importTokens(jh: SQLite.Database, repo: Repo, report: ImportReport): Promise<void> {
  const rows = jh.prepare(`SELECT t.hashed, t.prefix, t.client_id, t.session_id, t.created, t.expires_at, t.last_activity, t.note, t.scopes, u.name AS owner, t.service_id
    FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id ORDER BY t.id`).all() as Array<Record<string, any>>;
  const now = new Date().toISOString();
  let services = 0;
  let oauth = 0;
  for (const t of rows) {
    if (!t.owner) {
      services++;
      continue;
    }
    // OAuth tokens, login sessions' tokens, and the tokens JupyterHub makes for each server start ("Server at …").
    if ((t.client_id && t.client_id !== 'jupyterhub') || t.session_id || String(t.note ?? '').startsWith('Server at ')) {
      oauth++;
      continue;
    }
    const expires = iso(t.expires_at);
    if (expires && expires < now) continue;
    if (!report.users.includes(t.owner)) {
      report.skipped.push({ what: `a token of ${t.owner}`, why: 'its owner was not imported' });
      continue;
    }
    const user = (await repo.findUser(t.owner))!;
    let scopes: string[];
    try {
      scopes = JSON.parse(t.scopes ?? '[]');
    } catch {
      scopes = [];
    }
    await repo.insertHashedToken({
      user_id: user.id, prefix: t.prefix, hashed: t.hashed, client_id: 'jupyterhub', note: t.note ?? '', roles: '[]',
      scopes: JSON.stringify(scopes.length ? scopes : ['inherit']), created: iso(t.created) ?? now, expires_at: expires, last_activity: iso(t.last_activity),
    });
    report.tokens++;
  }
  if (services) report.skipped.push({ what: `${services} service token${services === 1 ? '' : 's'}`, why: 'Plasma has no JupyterHub services: give such clients a user token' });
  if (oauth) report.skipped.push({ what: `${oauth} token${oauth === 1 ? '' : 's'} of login sessions and user servers`, why: 'they belong to sessions and server starts: Plasma makes its own at the next login or start' });
}

async function importPermissions(rows: Array<{ group: string; image: string }>, envs: EnvironmentService, envRepo: EnvironmentRepo, report: ImportReport): Promise<void> {
  if (!rows.length) return;
  let all: Awaited<ReturnType<EnvironmentService['all']>> = [];
  try {
    all = await envs.all();
  } catch (err) {
    report.skipped.push({ what: `${rows.length} permissions`, why: `the environments could not be listed: ${(err as Error).message}` });
    return;
  }
  for (const { group, image } of rows) {
    const env = all.find((e) => e.image === image);
    if (!env) {
      report.skipped.push({ what: `permission ${group} → ${image}`, why: 'no such environment image on this host' });
      continue;
    }
    await envRepo.grant(env.name, [group]);
    report.permissions.push({ environment: env.name, group });
  }
}

function importConfig(file: string, paths: PlasmaPaths, report: ImportReport, dryRun: boolean): void {
  let tljh: unknown;
  try {
    tljh = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    report.skipped.push({ what: file, why: `not valid YAML: ${(err as Error).message}` });
    return;
  }
  const editor = new ConfigEditor(paths.configFile);
  for (const [key, value] of flatten(tljh ?? {})) {
    if (!key) continue;
    const target = Object.entries(CONFIG_KEYS).find(([k]) => key === k || key.startsWith(`${k}.`))?.[1];
    if (!target) {
      report.skipped.push({ what: `tljh-config ${key}`, why: 'no Plasma equivalent is imported (set it with plasma config)' });
      continue;
    }
    const converted = target === 'spawner.docker.cpu_limit' ? Number(value) : target === 'culler.timeout' ? Number(value) : value;
    editor.set(target, converted);
    report.config.push(`${key} → ${target}`);
  }
  if (!report.config.length || dryRun) return;
  try {
    editor.save();
  } catch (err) {
    report.skipped.push({ what: 'the tljh-config keys', why: (err as Error).message });
    report.config = [];
  }
}
