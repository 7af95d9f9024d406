/**
 * Container and folder names from hub names. Hub names are already limited to [a-z0-9._@-]; anything else
 * (here only '@') is escaped DockerSpawner-style as -<hex>, so names stay valid for Docker and unambiguous.
 */
export function escapeName(name: string): string {
  return name.replace(/[^a-z0-9._-]/g, (c) => `-${c.charCodeAt(0).toString(16)}`);
}

export function containerName(user: string, server: string): string {
  return `jupyter-${escapeName(user)}${server ? `-${escapeName(server)}` : ''}`;
}

const FOLDER_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * The folder an environment gets in the user's home: the image's `plasma.environment.name` label, else the
 * last part of the repository name (plasma-test/base:latest → base). Never a path: validated, no '/' or '..'.
 */
export function environmentFolder(image: string, labels: Record<string, string> | undefined): string {
  const fromLabel = labels?.['plasma.environment.name'];
  const repo = image.split('@')[0].replace(/:[^/:]+$/, '');
  const candidate = (fromLabel ?? repo.split('/').pop() ?? '').toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[._-]+/, '');
  if (!FOLDER_RE.test(candidate) || candidate.includes('..')) throw new Error(`cannot make a folder name from image ${JSON.stringify(image)}`);
  return candidate;
}

/** '2G', '512M', '1.5G' → bytes (1024-based, as DockerSpawner). */
export function parseMemory(limit: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/i.exec(limit.trim());
  if (!m) throw new Error(`invalid memory limit ${JSON.stringify(limit)}`);
  const power = { '': 0, K: 1, M: 2, G: 3, T: 4 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.round(Number(m[1]) * 1024 ** power);
}
