import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';

type Value = string | number | boolean;
type Widen<T> = { [K in keyof T]: T[K] extends string ? string : T[K] extends number ? number : T[K] extends boolean ? boolean : T[K] };

/** The state a query string holds, with the defaults for what it leaves out. */
export function readUrlState<D extends Record<string, Value>>(params: URLSearchParams, defaults: D): Widen<D> {
  const out: Record<string, Value> = { ...defaults };
  for (const [k, d] of Object.entries(defaults)) {
    const raw = params.get(k);
    if (raw === null) continue;
    if (typeof d === 'number') out[k] = Number.isFinite(Number(raw)) ? Number(raw) : d;
    else if (typeof d === 'boolean') out[k] = raw === '1' || raw === 'true';
    else out[k] = raw;
  }
  return out as Widen<D>;
}

/**
 * Page state kept in the query string (filters, sort, page), so a reload, a bookmark or Back shows the same view.
 * Values equal to their default are left out of the URL.
 */
export function useUrlState<D extends Record<string, Value>>(defaults: D): [Widen<D>, (patch: Partial<Widen<D>>) => void] {
  type T = Widen<D>;
  const [params, setParams] = useSearchParams();
  const key = params.toString();
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const state = useMemo(() => readUrlState(params, defaults), [key]);
  const update = useCallback((patch: Partial<T>) => {
    setParams((current) => {
      const next = new URLSearchParams(current);
      for (const [k, v] of Object.entries(patch)) {
        if (v === undefined || v === (defaults as Record<string, Value>)[k]) next.delete(k);
        else next.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
      }
      return next;
    }, { replace: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [setParams]);
  return [state, update];
}
