import { api } from '../api/client.ts';
import { useResource } from './useResource.ts';

/** A user with all their servers, stopped ones included. */
export function useUser(name: string | undefined, refreshMs = 0) {
  return useResource(name ?? null, (signal) => api.users.get(name!, signal), refreshMs);
}
