import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { CullStatus } from '../api/types.ts';

const POLL_MS = 15_000;
const WARNING_POLL_MS = 5_000;

/**
 * When the culler will stop this server, looked up again just before the warning would begin (and every 15 s
 * at most), with a countdown once it has. `keep()` tells the hub the user is still there.
 */
export function useCullWarning(user: string, server: string, running: boolean) {
  const [status, setStatus] = useState<CullStatus | null>(null);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (!running) return undefined;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      let delay = POLL_MS;
      try {
        const s = await api.culler.status(user, server, controller.signal);
        setStatus(s);
        if (s.warning) delay = WARNING_POLL_MS;
        else if (s.seconds_left !== null) delay = Math.min(POLL_MS, Math.max(1000, (s.seconds_left - s.warning_seconds) * 1000));
      } catch {
        // Not running any more, or no culler: no warning to show.
        if (!controller.signal.aborted) setStatus(null);
      }
      if (!controller.signal.aborted) timer = setTimeout(poll, delay);
    };
    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [user, server, running]);

  useEffect(() => {
    if (!status?.warning) return undefined;
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, [status?.warning]);

  const keep = useCallback(async () => setStatus(await api.culler.keep(user, server)), [user, server]);
  const secondsLeft = status?.stops_at ? Math.max(0, (Date.parse(status.stops_at) - now) / 1000) : null;
  return { warning: !!status?.warning, reason: status?.reason ?? null, secondsLeft, keep };
}
