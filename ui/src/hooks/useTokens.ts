import { api } from '../api/client.ts';
import { useResource } from './useResource.ts';

export function useTokens(user: string) {
  return useResource(user, (signal) => api.tokens.list(user, signal));
}
