/** Timestamps are stored as ISO-8601 UTC with 'Z' (JavaScript's millisecond precision). */
export function nowIso(): string {
  return new Date().toISOString();
}

/** JupyterHub's isoformat: microseconds when non-zero, no fraction when zero, always 'Z'. */
export function toJupyterTime(value: string | null | undefined): string | null {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const ms = date.getUTCMilliseconds();
  const base = date.toISOString().slice(0, 19);
  return ms === 0 ? `${base}Z` : `${base}.${String(ms).padStart(3, '0')}000Z`;
}
