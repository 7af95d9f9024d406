import { api } from '../api/client.ts';
import { useResource } from './useResource.ts';

export function useEnvironment(name: string | undefined, refreshMs = 0) {
  return useResource(name ?? null, (signal) => api.environments.get(name!, signal), refreshMs);
}
