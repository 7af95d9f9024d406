import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Reads a generated secret, creating it (mode 0600) on first use; shared by hub and proxy via the prefix. */
export function ensureSecretFile(file: string, bytes = 32): string {
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const value = crypto.randomBytes(bytes).toString('hex');
  try {
    fs.writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
    return value;
  } catch (err) {
    // Another process created it between our read and write: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw err;
  }
}

/** The proxy's API token: the environment's (CHP's variable), the config's, or the generated secret file's. */
export function proxyToken(config: { proxy: { auth_token?: string | null } }, paths: { proxyTokenFile: string }): string {
  return process.env.CONFIGPROXY_AUTH_TOKEN || config.proxy.auth_token || ensureSecretFile(paths.proxyTokenFile);
}
