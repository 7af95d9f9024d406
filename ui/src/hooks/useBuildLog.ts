import { useEffect, useRef, useState } from 'react';
import { ApiError, api, readEvents } from '../api/client.ts';
import type { BuildEvent, BuildStatus } from '../api/types.ts';

export interface BuildLog {
  status: BuildStatus | null;
  step: { step: number; total: number } | null;
  outcome: { ok: boolean; message: string } | null;
  error: ApiError | null;
}

/**
 * Follows an environment's build log stream. Log text goes straight to `write` (the terminal), not into React
 * state: a build writes thousands of lines.
 */
export function useBuildLog(name: string, write: (text: string) => void, generation = 0): BuildLog {
  const [state, setState] = useState<BuildLog>({ status: null, step: null, outcome: null, error: null });
  const writeRef = useRef(write);
  writeRef.current = write;
  useEffect(() => {
    const controller = new AbortController();
    setState({ status: null, step: null, outcome: null, error: null });
    readEvents<BuildEvent>(api.environments.logsPath(name), (e) => {
      if (e.phase === 'log') writeRef.current(e.message);
      else if (e.phase === 'progress') setState((s) => ({ ...s, status: 'building', step: { step: e.step, total: e.total } }));
      else if (e.phase === 'status') setState((s) => ({ ...s, status: e.status }));
      else setState((s) => ({ ...s, status: e.phase === 'built' ? 'built' : 'failed', outcome: { ok: e.phase === 'built', message: e.message } }));
    }, controller.signal).catch((err: Error) => {
      if (err.name !== 'AbortError') setState((s) => ({ ...s, error: err instanceof ApiError ? err : new ApiError(0, err.message) }));
    });
    return () => controller.abort();
  }, [name, generation]);
  return state;
}
