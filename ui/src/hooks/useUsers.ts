import { api, type UserQuery } from '../api/client.ts';
import { prime, useResource } from './useResource.ts';

const keyOf = (q: UserQuery) => `users:${JSON.stringify(q)}`;

/** One page of users, as the hub pages them (offset/limit, name prefix, active only, sort). */
export function useUsers(q: UserQuery, refreshMs = 0) {
  return useResource(keyOf(q), (signal) => api.users.list(q, signal), refreshMs);
}

export const primeUsers = (q: UserQuery) => prime(keyOf(q), () => api.users.list(q));
