import { api } from '../api/client.ts';
import { useResource } from './useResource.ts';

export function useHostStats(refreshMs: number) {
  return useResource('host', (signal) => api.monitoring.host(signal), refreshMs);
}
