import { api } from '../api/client.ts';
import { useResource } from './useResource.ts';

/** CPU and memory of running servers: the last hour, or only the latest sample (the users table). */
export function useServerStats(latest: boolean, refreshMs: number, enabled = true) {
  return useResource(enabled ? `stats:${latest}` : null, (signal) => api.monitoring.servers(latest, signal), refreshMs);
}
