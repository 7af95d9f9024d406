/**
 * Sizes as admins type them (500M, 2G; powers of 1024). No imports: the web UI shows sizes with the same
 * function, so the spawn page says what the CLI and the hub's messages say.
 */

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

export function parseSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/i.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()]) : null;
}

export function formatSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  for (const unit of ['T', 'G', 'M', 'K']) {
    if (bytes >= UNITS[unit]) return `${(bytes / UNITS[unit]).toFixed(1).replace(/\.0$/, '')}${unit}`;
  }
  return `${bytes}B`;
}
