import { escapeName, serverSlug } from '../naming.ts';

export { escapeName };

export function containerName(user: string, server: string): string {
  return `jupyter-${serverSlug(user, server)}`;
}

/** '2G', '512M', '1.5G' → bytes (1024-based, as DockerSpawner). */
export function parseMemory(limit: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/i.exec(limit.trim());
  if (!m) throw new Error(`invalid memory limit ${JSON.stringify(limit)}`);
  const power = { '': 0, K: 1, M: 2, G: 3, T: 4 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.round(Number(m[1]) * 1024 ** power);
}
