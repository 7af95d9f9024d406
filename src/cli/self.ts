import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package this code runs from (a checkout, or a release under <prefix>/app/releases/): the folder that
 * holds bin/plasma.mjs, found upwards from this module, which lives in src/cli/ or, bundled, in dist/.
 */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(dir, 'bin', 'plasma.mjs')) && fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the Plasma package around this module');
}

/** bin/plasma.mjs of this package: how the CLI starts its own hub and proxy processes. */
export function plasmaBin(): string {
  return path.join(packageRoot(), 'bin', 'plasma.mjs');
}

/**
 * The code a handover starts (`plasma upgrade` sends SIGUSR2 after switching app/current): the release current
 * points at, else this package.
 */
export function successorBin(currentRelease: string): string {
  const current = path.join(currentRelease, 'bin', 'plasma.mjs');
  return fs.existsSync(current) ? current : plasmaBin();
}

export function packageVersion(root = packageRoot()): string {
  return (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
}
