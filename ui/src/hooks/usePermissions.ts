import { api } from '../api/client.ts';
import { useResource } from './useResource.ts';

export function usePermissions() {
  return useResource('permissions', (signal) => api.permissions.get(signal));
}
