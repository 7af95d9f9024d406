import { api } from '../api/client.ts';
import { useResource } from './useResource.ts';

export function useGroups() {
  return useResource('groups', (signal) => api.groups.list(signal));
}
