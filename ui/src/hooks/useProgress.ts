import { useEffect, useState } from 'react';
import { ApiError, api, readEvents } from '../api/client.ts';
import type { ProgressEvent } from '../api/types.ts';

export interface Progress {
  events: ProgressEvent[];
  percent: number;
  ready: boolean;
  failed: string | null;
  /** The stream could not be read (e.g. nothing is starting). */
  error: ApiError | null;
}

const RETRIES = 15;

/** Follows a server's spawn progress stream until it reports ready or failed. */
export function useProgress(user: string, server: string): Progress {
  const [state, setState] = useState<Progress>({ events: [], percent: 0, ready: false, failed: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    setState({ events: [], percent: 0, ready: false, failed: null, error: null });
    const onEvent = (e: ProgressEvent) => setState((s) => ({
      ...s,
      events: [...s.events, e],
      percent: typeof e.progress === 'number' ? e.progress : s.percent,
      ready: s.ready || e.ready === true,
      failed: e.failed ? e.message.replace(/^Spawn failed: /, '') : s.failed,
    }));
    // The page opens while the start request is on its way: until the hub has begun, there is no stream (404).
    const follow = async (attempt: number): Promise<void> => {
      try {
        await readEvents<ProgressEvent>(api.servers.progressPath(user, server), onEvent, controller.signal);
      } catch (err) {
        if ((err as Error).name === 'AbortError') return;
        if (err instanceof ApiError && err.status === 404 && attempt < RETRIES) {
          await new Promise((r) => setTimeout(r, 300));
          if (!controller.signal.aborted) return follow(attempt + 1);
          return;
        }
        setState((s) => ({ ...s, error: err instanceof ApiError ? err : new ApiError(0, (err as Error).message) }));
      }
    };
    void follow(0);
    return () => controller.abort();
  }, [user, server]);
  return state;
}
