/** Timestamps are stored as ISO-8601 UTC with 'Z' (JavaScript's millisecond precision). */
export function nowIso(): string {
  return new Date().toISOString();
}

/** JupyterHub's isoformat: microseconds when non-zero, no fraction when zero, always 'Z'. */
const STORED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{3})Z$/;

export function toJupyterTime(value: string | null | undefined): string | null {
  if (!value) return null;
  // What nowIso() stores, rewritten as text: a listing page formats hundreds of these.
  const stored = STORED.exec(value);
  if (stored) return stored[1] === '000' ? `${value.slice(0, 19)}Z` : `${value.slice(0, 23)}000Z`;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const ms = date.getUTCMilliseconds();
  const base = date.toISOString().slice(0, 19);
  return ms === 0 ? `${base}Z` : `${base}.${String(ms).padStart(3, '0')}000Z`;
}
