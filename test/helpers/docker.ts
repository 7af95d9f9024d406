import { execFileSync } from 'node:child_process';

export const BASE_IMAGE = 'plasma/base:latest';

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function dockerOk(...args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: docker(...args) };
  } catch (err) {
    const e = err as { status: number; stdout?: string; stderr?: string };
    return { code: e.status, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Removes the containers of these test users only (other tests may be running servers of their own). */
export function removeUserContainers(users: string[]): void {
  for (const user of users) {
    if (!user.startsWith('pt-')) throw new Error('test users are named pt-…');
    const ids = new Set([
      ...docker('ps', '-aq', '--filter', `label=plasma.user=${user}`).split('\n'),
      ...docker('ps', '-aq', '--filter', `name=^/jupyter-${user}(-.*)?$`).split('\n'),
    ].filter(Boolean));
    if (ids.size) dockerOk('rm', '-f', ...ids);
  }
}
