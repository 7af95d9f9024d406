/**
 * A client that keeps sending requests (one after another, per URL) until stopped, and records every outcome:
 * what a user working in their notebook sees while the hub or the proxy restarts.
 */
export function keepRequesting(targets: Array<{ url: string; headers?: Record<string, string> }>, pauseMs = 20) {
  let running = true;
  const outcomes: Array<{ url: string; status: number; error?: string }> = [];
  const loops = targets.map(async ({ url, headers }) => {
    while (running) {
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        outcomes.push({ url, status: res.status });
      } catch (err) {
        outcomes.push({ url, status: 0, error: (err as Error).message });
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return {
    outcomes,
    /** Stops sending; resolves with every outcome and the failed ones (anything but 200). */
    async stop() {
      running = false;
      await Promise.all(loops);
      return { all: outcomes, failed: outcomes.filter((o) => o.status !== 200) };
    },
  };
}
