import { api, type UserQuery } from '../api/client.ts';
import { useResource } from './useResource.ts';

/** One page of users, as the hub pages them (offset/limit, name prefix, active only, sort). */
export function useUsers(q: UserQuery, refreshMs = 0) {
  const key = JSON.stringify(q);
  return useResource(key, (signal) => api.users.list(q, signal), refreshMs);
}
