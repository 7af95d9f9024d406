import { useCallback, useEffect, useRef, useState } from 'react';

export interface Resource<T> {
  data: T | undefined;
  error: Error | null;
  loading: boolean;
  /** The data shown is for an earlier key (e.g. the previous page) while the new one loads. */
  stale: boolean;
  reload: () => void;
  /** Replace the data locally (after a change the hub confirmed). */
  setData: (data: T) => void;
}

const primed = new Map<string, Promise<unknown>>();

/** Starts a load before its page renders (the first page's data while the app boots); the hook then uses it. */
export function prime<T>(key: string, load: () => Promise<T>): void {
  primed.set(key, load());
}

/**
 * Loads something from the hub for a key; loads again when the key changes, on reload(), and every `refreshMs`
 * while the page is visible. A newer load aborts an older one, so answers never arrive out of order.
 */
export function useResource<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>, refreshMs = 0): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(key !== null);
  const [tick, setTick] = useState(0);
  const [loadedKey, setLoadedKey] = useState<string | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    if (key === null) return undefined;
    const controller = new AbortController();
    setLoading(true);
    const early = primed.get(key) as Promise<T> | undefined;
    primed.delete(key);
    (early ?? loadRef.current(controller.signal)).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setLoadedKey(key);
        setError(null);
        setLoading(false);
      },
      (err: Error) => {
        if (controller.signal.aborted || err.name === 'AbortError') return;
        setError(err);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key, tick]);

  useEffect(() => {
    if (!refreshMs || key === null) return undefined;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') setTick((n) => n + 1);
    }, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, key]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading: loading && data === undefined, stale: data !== undefined && loadedKey !== key, reload, setData };
}
