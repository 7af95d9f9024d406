import { execFile } from 'node:child_process';
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

export async function lookupUser(name: string): Promise<SystemUser | null> {
  if (!SYSTEM_NAME_RE.test(name)) return null;
  const [line] = await getent('passwd', name);
  return line ? parsePasswd(line) : null;
}

/** Every account in the passwd database, by name, from one `getent passwd` (for passes over many users). */
export async function allSystemUsers(): Promise<Map<string, SystemUser>> {
  const out = new Map<string, SystemUser>();
  for (const line of await getent('passwd')) {
    const user = parsePasswd(line);
    if (!out.has(user.name)) out.set(user.name, user);
  }
  return out;
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
