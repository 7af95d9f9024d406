import { config } from '../config.ts';
import type {
  CullStatus, DiskView, Environment, GroupModel, HostStats, Me, MonitoringServers, NewEnvironment, NewToken, Page, Permissions, TokenModel,
  UserModel, UserSort,
} from './types.ts';

/** An error answer of the hub ({status, message}, plus `field` for one bad input and `users` for an in-use one). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string, readonly users?: string[]) {
    super(message);
  }
}

interface Options {
  json?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  accept?: string;
  signal?: AbortSignal;
}

const API = `${config.hub_prefix}api`;

function url(path: string, query?: Options['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return `${API}${path}${qs ? `?${qs}` : ''}`;
}

/** Every call goes through here: same-origin cookie plus the session's XSRF token, which the hub requires. */
export async function request<T>(method: string, path: string, o: Options = {}): Promise<T> {
  const headers: Record<string, string> = { 'X-XSRFToken': config.xsrf, Accept: o.accept ?? 'application/json' };
  if (o.json !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url(path, o.query), {
      method, headers, credentials: 'same-origin', signal: o.signal,
      body: o.json === undefined ? undefined : JSON.stringify(o.json),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, '');
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const body = (data && typeof data === 'object' ? data : {}) as { message?: string; field?: string; users?: string[] };
    throw new ApiError(res.status, body.message ?? '', body.field, body.users);
  }
  return data as T;
}

const enc = encodeURIComponent;
const serverPath = (user: string, server: string) => (server ? `/users/${enc(user)}/servers/${enc(server)}` : `/users/${enc(user)}/server`);
const cullerPath = (user: string, server: string) => `/plasma/culler/${enc(user)}${server ? `/${enc(server)}` : ''}`;

export interface UserQuery {
  offset: number;
  limit: number;
  nameFilter?: string;
  activeOnly?: boolean;
  sort?: UserSort;
}

/** The typed client: one function per endpoint the UI uses. */
export const api = {
  me: (signal?: AbortSignal) => request<Me>('GET', '/user', { signal }),

  users: {
    list: (q: UserQuery, signal?: AbortSignal) => request<Page<UserModel>>('GET', '/users', {
      signal, accept: 'application/jupyterhub-pagination+json',
      query: { offset: q.offset, limit: q.limit, name_filter: q.nameFilter, state: q.activeOnly ? 'active' : undefined, sort: q.sort, include_stopped_servers: 1 },
    }),
    get: (name: string, signal?: AbortSignal) =>
      request<UserModel>('GET', `/users/${enc(name)}`, { signal, query: { include_stopped_servers: 1 } }),
    create: (usernames: string[], admin: boolean) => request<UserModel[]>('POST', '/users', { json: { usernames, admin } }),
    update: (name: string, patch: { admin?: boolean }) => request<UserModel>('PATCH', `/users/${enc(name)}`, { json: patch }),
    remove: (name: string) => request<void>('DELETE', `/users/${enc(name)}`),
  },

  servers: {
    start: (user: string, server: string, options: Record<string, unknown> = {}) =>
      request<void>('POST', serverPath(user, server), { json: options }),
    /** Stops a server (or cancels its start); `remove` also forgets a named server. */
    stop: (user: string, server: string, remove = false) =>
      request<void>('DELETE', serverPath(user, server), { json: server && remove ? { remove: true } : undefined }),
    progressPath: (user: string, server: string) => `${serverPath(user, server)}/progress`,
  },

  culler: {
    status: (user: string, server: string, signal?: AbortSignal) => request<CullStatus>('GET', cullerPath(user, server), { signal }),
    /** "I am still here": counts as activity. */
    keep: (user: string, server: string) => request<CullStatus>('POST', `${cullerPath(user, server)}/keep`, { json: {} }),
  },

  disk: (user: string, signal?: AbortSignal) =>
    request<{ disk: DiskView }>('GET', `/plasma/users/${enc(user)}`, { signal }).then((r) => r.disk),

  groups: {
    list: (signal?: AbortSignal) => request<GroupModel[]>('GET', '/groups', { signal }),
    get: (name: string, signal?: AbortSignal) => request<GroupModel>('GET', `/groups/${enc(name)}`, { signal }),
    create: (name: string) => request<GroupModel>('POST', `/groups/${enc(name)}`, { json: {} }),
    remove: (name: string) => request<void>('DELETE', `/groups/${enc(name)}`),
    addMembers: (name: string, users: string[]) => request<GroupModel>('POST', `/groups/${enc(name)}/users`, { json: { users } }),
    removeMembers: (name: string, users: string[]) => request<GroupModel>('DELETE', `/groups/${enc(name)}/users`, { json: { users } }),
  },

  tokens: {
    list: (user: string, signal?: AbortSignal) =>
      request<{ api_tokens: TokenModel[] }>('GET', `/users/${enc(user)}/tokens`, { signal }).then((r) => r.api_tokens),
    create: (user: string, body: { note: string; expires_in?: number; scopes?: string[] }) =>
      request<NewToken>('POST', `/users/${enc(user)}/tokens`, { json: body }),
    revoke: (user: string, id: string) => request<void>('DELETE', `/users/${enc(user)}/tokens/${enc(id)}`),
  },

  environments: {
    list: (signal?: AbortSignal) => request<Environment[]>('GET', '/plasma/environments', { signal }),
    get: (name: string, signal?: AbortSignal) => request<Environment>('GET', `/plasma/environments/${enc(name)}`, { signal }),
    create: (body: NewEnvironment) => request<{ environment: Environment }>('POST', '/plasma/environments', { json: body }),
    rebuild: (name: string) => request<{ environment: Environment }>('POST', `/plasma/environments/${enc(name)}/rebuild`, { json: {} }),
    cancel: (name: string) => request<Environment>('POST', `/plasma/environments/${enc(name)}/cancel`, { json: {} }),
    remove: (name: string) => request<void>('DELETE', `/plasma/environments/${enc(name)}`),
    logsPath: (name: string) => `/plasma/environments/${enc(name)}/logs`,
  },

  permissions: {
    get: (signal?: AbortSignal) => request<Permissions>('GET', '/plasma/permissions', { signal }),
    put: (permissions: Record<string, string[]>) => request<Permissions>('PUT', '/plasma/permissions', { json: { permissions } }),
  },

  monitoring: {
    host: (signal?: AbortSignal) => request<HostStats>('GET', '/plasma/monitoring/host', { signal }),
    servers: (latest: boolean, signal?: AbortSignal) =>
      request<MonitoringServers>('GET', '/plasma/monitoring/servers', { signal, query: { latest: latest ? 1 : undefined } }),
    logs: (user: string, server: string, lines: number, signal?: AbortSignal) =>
      request<{ log: string }>('GET', `/plasma/monitoring/servers/${enc(user)}${server ? `/${enc(server)}` : ''}/logs`, { signal, query: { lines } })
        .then((r) => r.log),
  },
};

/**
 * Reads a server-sent event stream with fetch (so the XSRF header goes with it, which EventSource cannot send)
 * and calls `onEvent` with each `data:` JSON. Resolves when the stream ends.
 */
export async function readEvents<T>(path: string, onEvent: (event: T) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(url(path), {
    headers: { Accept: 'text/event-stream', 'X-XSRFToken': config.xsrf }, credentials: 'same-origin', signal,
  });
  if (!res.ok || !res.body) {
    let message = '';
    try {
      message = ((await res.json()) as { message?: string }).message ?? '';
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, message);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const chunk = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = chunk.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (data) onEvent(JSON.parse(data) as T);
    }
  }
}
