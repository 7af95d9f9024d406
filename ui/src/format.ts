import { locale, t } from './strings/index.ts';
import { ApiError } from './api/client.ts';

const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60]];

/** "3 minutes ago", "in 2 days", "just now". */
export function fromNow(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return t.common.never;
  const seconds = (Date.parse(iso) - now) / 1000;
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return t.common.justNow;
}

export function dateTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString(locale) : t.common.never;
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

export function percent(n: number): string {
  return `${n >= 10 ? Math.round(n) : n.toFixed(1)} %`;
}

/** What to tell the user about a failed call. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.status === 0 ? t.common.offline : t.common.requestFailed(err.status, err.message);
  return (err as Error)?.message || t.common.error;
}

export const serverLabel = (name: string) => name || t.common.defaultServer;

/** "in 4 minutes", "in 30 seconds": a countdown to something soon. */
export function countdown(seconds: number): string {
  return seconds >= 60 ? relative.format(Math.ceil(seconds / 60), 'minute') : relative.format(Math.max(0, Math.round(seconds)), 'second');
}
