import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The production packages a lock file names (what `npm ci --omit=dev` installs), as paths under node_modules:
 * the outermost ones only, since a package's own node_modules comes with it. A checkout also holds the build and
 * test tools (seven times the files), which a release must not carry nor spend seconds linking.
 */
export function productionPackages(lockText: string): string[] {
  const lock = JSON.parse(lockText) as { packages?: Record<string, { dev?: boolean; link?: boolean }> };
  const wanted = Object.entries(lock.packages ?? {})
    .filter(([key, info]) => key.startsWith('node_modules/') && !info.dev && !info.link)
    .map(([key]) => key.slice('node_modules/'.length))
    .sort();
  return wanted.filter((pkg) => !wanted.some((outer) => pkg !== outer && pkg.startsWith(`${outer}/node_modules/`)));
}

/** Hard-links the production packages of `donor`'s node_modules into `dest`; throws where it cannot (then: npm ci). */
export async function linkProductionDependencies(donor: string, lockText: string, dest: string): Promise<number> {
  const from = path.join(donor, 'node_modules');
  // Optional packages for other platforms are in the lock but not on disk.
  const present = productionPackages(lockText).filter((pkg) => fs.existsSync(path.join(from, pkg)));
  if (!present.length) throw new Error('the lock file names no production package (an old lock format?): install them instead');
  fs.mkdirSync(dest, { recursive: true });
  for (let i = 0; i < present.length; i += 200) {
    await run('cp', ['-al', '--parents', ...present.slice(i, i + 200), dest], { cwd: from });
  }
  return present.length;
}
