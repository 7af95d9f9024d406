import { api } from '../api/client.ts';
import { useResource } from './useResource.ts';

/** Environments the signed-in user may see (all of them for builders); refreshed while builds run. */
export function useEnvironments(refreshMs = 0) {
  return useResource('environments', (signal) => api.environments.list(signal), refreshMs);
}
