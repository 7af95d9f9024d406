import { execFileSync } from 'node:child_process';

/** Real system users for tests (prefix pt-), removed with their homes afterwards. */
export function createSystemUser(name: string, password: string, groups: string[] = []): { uid: number; gid: number; home: string } {
  if (!name.startsWith('pt-')) throw new Error('test users must be named pt-…');
  removeSystemUser(name);
  for (const g of groups) {
    try { execFileSync('getent', ['group', g]); } catch { execFileSync('groupadd', [g]); }
  }
  execFileSync('useradd', ['-m', '-s', '/bin/bash', ...(groups.length ? ['-G', groups.join(',')] : []), name]);
  execFileSync('chpasswd', { input: `${name}:${password}\n` });
  const [, , uid, gid, , home] = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':');
  return { uid: Number(uid), gid: Number(gid), home };
}

export function removeSystemUser(name: string): void {
  if (!name.startsWith('pt-')) throw new Error('refusing to remove a user not named pt-…');
  try { execFileSync('userdel', ['-r', '-f', name], { stdio: 'ignore' }); } catch { /* not there */ }
}

export function removeSystemGroup(name: string): void {
  if (!name.startsWith('pt-')) throw new Error('refusing to remove a group not named pt-…');
  try { execFileSync('groupdel', [name], { stdio: 'ignore' }); } catch { /* not there */ }
}
