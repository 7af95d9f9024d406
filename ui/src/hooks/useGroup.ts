import { api } from '../api/client.ts';
import { useResource } from './useResource.ts';

export function useGroup(name: string | undefined) {
  return useResource(name ?? null, (signal) => api.groups.get(name!, signal));
}
