import { api } from '../api/client.ts';
import { useResource } from './useResource.ts';

export function useServerLogs(user: string, server: string, lines = 500) {
  return useResource(`${user}/${server}`, (signal) => api.monitoring.logs(user, server, lines, signal));
}
