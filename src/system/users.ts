import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface SystemGroup {
  name: string;
  gid: number;
  members: string[];
}

/** POSIX portable user/group names: what useradd accepts by default, so nothing odd reaches getent. */
export const SYSTEM_NAME_RE = /^[a-z_][a-z0-9_.-]{0,31}$/;

async function getent(db: 'passwd' | 'group', key?: string): Promise<string[]> {
  try {
    const { stdout } = await run('getent', key === undefined ? [db] : [db, key], { maxBuffer: 64 * 1024 * 1024 });
    return stdout.split('\n').filter(Boolean);
  } catch (err) {
    // getent exits 2 when the key is not found.
    if ((err as { code?: number }).code === 2) return [];
    throw err;
  }
}

function parsePasswd(line: string): SystemUser {
  const [name, , uid, gid, , home, shell] = line.split(':');
  return { name, uid: Number(uid), gid: Number(gid), home, shell };
}

function parseGroup(line: string): SystemGroup {
  const [name, , gid, members] = line.split(':');
  return { name, gid: Number(gid), members: members ? members.split(',').filter(Boolean) : [] };
}

/**
 * Every user the passwd database lists, in one getent. `complete` when nsswitch.conf names only local sources
 * (files, systemd): then a name missing here has no account. A directory (sss, ldap) may not list its users.
 */
export async function listSystemUsers(): Promise<{ users: Map<string, SystemUser>; complete: boolean }> {
  const users = new Map<string, SystemUser>();
  for (const user of (await getent('passwd')).map(parsePasswd)) if (!users.has(user.name)) users.set(user.name, user); // the first source wins, as for getpwnam
  let sources = ['files'];
  try {
    const line = fs.readFileSync('/etc/nsswitch.conf', 'utf8').split('\n').find((l) => /^\s*passwd\s*:/.test(l));
    if (line) sources = line.replace(/#.*/, '').split(':')[1].trim().split(/\s+/).filter((w) => !w.startsWith('['));
  } catch {
    // no nsswitch.conf: glibc's default is files
  }
  return { users, complete: sources.every((s) => s === 'files' || s === 'systemd') };
}

export async function lookupUser(name: string): Promise<SystemUser | null> {
  if (!SYSTEM_NAME_RE.test(name)) return null;
  const [line] = await getent('passwd', name);
  return line ? parsePasswd(line) : null;
}

/** Names of every group the user belongs to: primary group plus supplementary memberships. */
export async function groupsOfUser(name: string): Promise<string[]> {
  const user = await lookupUser(name);
  if (!user) return [];
  const groups = (await getent('group')).map(parseGroup);
  const names = groups.filter((g) => g.gid === user.gid || g.members.includes(name)).map((g) => g.name);
  return [...new Set(names)].sort();
}

export async function lookupGroup(name: string): Promise<SystemGroup | null> {
  if (!SYSTEM_NAME_RE.test(name)) return null;
  const [line] = await getent('group', name);
  return line ? parseGroup(line) : null;
}
