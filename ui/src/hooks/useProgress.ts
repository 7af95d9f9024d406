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

/** Follows a server's spawn progress stream until it reports ready or failed. */
export function useProgress(user: string, server: string): Progress {
  const [state, setState] = useState<Progress>({ events: [], percent: 0, ready: false, failed: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    setState({ events: [], percent: 0, ready: false, failed: null, error: null });
    readEvents<ProgressEvent>(api.servers.progressPath(user, server), (e) => {
      setState((s) => ({
        ...s,
        events: [...s.events, e],
        percent: typeof e.progress === 'number' ? e.progress : s.percent,
        ready: s.ready || e.ready === true,
        failed: e.failed ? e.message.replace(/^Spawn failed: /, '') : s.failed,
      }));
    }, controller.signal).catch((err: Error) => {
      if (err.name !== 'AbortError') setState((s) => ({ ...s, error: err instanceof ApiError ? err : new ApiError(0, err.message) }));
    });
    return () => controller.abort();
  }, [user, server]);
  return state;
}
