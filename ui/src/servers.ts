import type { ServerModel } from './api/types.ts';

export type ServerStatus = 'running' | 'starting' | 'stopping' | 'stopped';

export function statusOf(s: ServerModel): ServerStatus {
  if (s.pending === 'spawn') return 'starting';
  if (s.pending === 'stop') return 'stopping';
  return s.ready ? 'running' : 'stopped';
}

/** The environment a server was started in (Plasma's option, or tljh-repo2docker's image). */
export function environmentOf(s: ServerModel): string {
  const o = s.user_options ?? {};
  const value = o.environment ?? o.image;
  return typeof value === 'string' ? value : '';
}

/** Route of the framed server, the spawn page and the progress page of one server. */
export const openPath = (user: string, server: string) => `/open/${encodeURIComponent(user)}${server ? `/${encodeURIComponent(server)}` : ''}`;
export const spawnPath = (user: string, server: string) => `/spawn/${encodeURIComponent(user)}${server ? `/${encodeURIComponent(server)}` : ''}`;
export const pendingPath = (user: string, server: string) => `/spawn-pending/${encodeURIComponent(user)}${server ? `/${encodeURIComponent(server)}` : ''}`;

/** The default server first, then named ones by name. */
export function sortedServers(servers: Record<string, ServerModel> | undefined): ServerModel[] {
  return Object.values(servers ?? {}).sort((a, b) => (a.name === '' ? -1 : b.name === '' ? 1 : a.name.localeCompare(b.name)));
}
