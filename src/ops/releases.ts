import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PlasmaPaths } from '../config/index.ts';
import { linkProductionDependencies } from './dependencies.ts';

/**
 * Releases side by side under <prefix>/app/releases/<id>/, each a built package (`npm pack`: the bundled
 * dist/, bin/, deploy/; production dependencies installed), with <prefix>/app/current pointing at the one
 * in use. An id is the version and a hash of the package, so two builds of one version never collide.
 */

const run = promisify(execFile);

export interface Release {
  id: string;
  dir: string;
  version: string;
}

export class ReleaseError extends Error {}

type Say = (line: string) => void;

const COMPLETE = '.plasma-release';

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A package tarball of `from`: a checkout is packed with `npm pack` (which builds it), a tarball is taken as is. */
export async function packageTarball(from: string, say: Say): Promise<{ file: string; cleanup: () => void; source?: string }> {
  const stat = fs.statSync(from, { throwIfNoEntry: false });
  if (!stat) throw new ReleaseError(`${from} does not exist`);
  if (stat.isFile()) return { file: path.resolve(from), cleanup: () => undefined };
  if (!fs.existsSync(path.join(from, 'package.json')) || !fs.existsSync(path.join(from, 'bin', 'plasma.mjs'))) {
    throw new ReleaseError(`${from} is not a Plasma checkout (no package.json and bin/plasma.mjs)`);
  }
  // A checkout is built by npm pack (its prepack script); an installed release already is, and has no build tools.
  const built = !fs.existsSync(path.join(from, 'src')) && fs.existsSync(path.join(from, 'dist', 'plasma.mjs'));
  if (!built && !fs.existsSync(path.join(from, 'node_modules'))) throw new ReleaseError(`${from} has no node_modules: run "npm ci" there first`);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-pack-'));
  say(`packing ${from}${built ? '' : ' (npm pack builds it)'}`);
  try {
    const { stdout } = await run('npm', ['pack', '--json', ...(built ? ['--ignore-scripts'] : []), '--pack-destination', out], { cwd: from, maxBuffer: 64 * 1024 * 1024 });
    // Scripts run by npm pack may print before its JSON.
    const [{ filename }] = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as Array<{ filename: string }>;
    return { file: path.join(out, filename), cleanup: () => fs.rmSync(out, { recursive: true, force: true }), source: path.resolve(from) };
  } catch (err) {
    fs.rmSync(out, { recursive: true, force: true });
    throw new ReleaseError(`npm pack failed in ${from}: ${(err as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' ') ?? (err as Error).message}`);
  }
}

/** What a tarball holds, checked before anything is written: refuses what is not a Plasma release. */
async function inspectTarball(file: string): Promise<{ version: string }> {
  let listing: string;
  try {
    listing = (await run('tar', ['-tzf', file], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch {
    throw new ReleaseError(`${file} is not a gzipped tarball`);
  }
  const entries = new Set(listing.split('\n').map((l) => l.replace(/^\.\//, '')));
  for (const needed of ['package/package.json', 'package/bin/plasma.mjs', 'package/dist/plasma.mjs']) {
    if (!entries.has(needed)) throw new ReleaseError(`${file} is not a Plasma release: it has no ${needed.replace('package/', '')}`);
  }
  if ([...entries].some((e) => e && !e.startsWith('package/'))) throw new ReleaseError(`${file} is not an npm package (entries outside package/)`);
  const { stdout } = await run('tar', ['-xzOf', file, 'package/package.json']);
  const pkg = JSON.parse(stdout) as { name?: string; version?: string };
  if (pkg.name !== 'plasma' || !pkg.version || !/^[0-9A-Za-z.+-]+$/.test(pkg.version)) throw new ReleaseError(`${file} is not a Plasma package (name ${pkg.name})`);
  return { version: pkg.version };
}

export function currentRelease(paths: PlasmaPaths): Release | null {
  try {
    const dir = fs.realpathSync(paths.currentRelease);
    return releaseAt(dir);
  } catch {
    return null;
  }
}

function releaseAt(dir: string): Release | null {
  if (!fs.existsSync(path.join(dir, COMPLETE))) return null;
  const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  return { id: path.basename(dir), dir, version };
}

export function listReleases(paths: PlasmaPaths): Release[] {
  if (!fs.existsSync(paths.releasesDir)) return [];
  return fs.readdirSync(paths.releasesDir).filter((d) => !d.startsWith('.')).map((d) => releaseAt(path.join(paths.releasesDir, d)))
    .filter((r): r is Release => r !== null).sort((a, b) => fs.statSync(a.dir).mtimeMs - fs.statSync(b.dir).mtimeMs);
}

/**
 * Unpacks a package into releases/<id>/ and installs its production dependencies: hard links to the current
 * release's when their lock files match (seconds), `npm ci --omit=dev` otherwise. Does nothing for a release
 * already there. The release appears under its name only once complete.
 */
export async function installRelease(paths: PlasmaPaths, tarball: string, say: Say, source?: string): Promise<{ release: Release; fresh: boolean }> {
  const { version } = await inspectTarball(tarball);
  const id = `${version}-${sha256(tarball).slice(0, 10)}`;
  const dir = path.join(paths.releasesDir, id);
  const existing = releaseAt(dir);
  if (existing) return { release: existing, fresh: false };
  fs.mkdirSync(paths.releasesDir, { recursive: true, mode: 0o755 });
  const tmp = path.join(paths.releasesDir, `.tmp-${id}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  try {
    say(`unpacking release ${id}`);
    await run('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1', '--no-same-owner']);
    // Dependencies: hard links to a tree whose lock matches (the current release's, or the checkout packed), else npm ci.
    const lockOf = (dir: string, name: string) => {
      try {
        return fs.readFileSync(path.join(dir, name), 'utf8');
      } catch {
        return null;
      }
    };
    const wanted = lockOf(tmp, 'npm-shrinkwrap.json');
    const current = currentRelease(paths);
    const donors = [
      ...(current ? [{ dir: current.dir, lock: lockOf(current.dir, 'npm-shrinkwrap.json'), what: `the current release ${current.id}` }] : []),
      ...(source ? [{ dir: source, lock: lockOf(source, 'package-lock.json'), what: `the checkout ${source}` }] : []),
    ];
    let linked = false;
    for (const donor of donors) {
      if (wanted === null || donor.lock !== wanted || !fs.existsSync(path.join(donor.dir, 'node_modules'))) continue;
      try {
        const count = await linkProductionDependencies(donor.dir, wanted, path.join(tmp, 'node_modules'));
        say(`dependencies as in ${donor.what}: ${count} production packages linked`);
        linked = true;
        break;
      } catch {
        fs.rmSync(path.join(tmp, 'node_modules'), { recursive: true, force: true }); // another filesystem, an old lock: install instead
      }
    }
    if (!linked) {
      say('installing production dependencies (npm ci --omit=dev; native modules compile, this takes a minute or two)');
      try {
        await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], {
          cwd: tmp, env: { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr' }, maxBuffer: 64 * 1024 * 1024,
        });
      } catch (err) {
        throw new ReleaseError(`npm ci failed for ${id}: ${(err as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' ')}`);
      }
    }
    // The release must at least start.
    try {
      await run(process.execPath, [path.join(tmp, 'bin', 'plasma.mjs'), '--version'], { env: { ...process.env, PLASMA_PREFIX: paths.prefix } });
    } catch (err) {
      throw new ReleaseError(`release ${id} does not start: ${(err as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' ')}`);
    }
    fs.writeFileSync(path.join(tmp, COMPLETE), `${id}\n`);
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { release: releaseAt(dir)!, fresh: true };
}

/** Points app/current at a release, atomically (a new link renamed over the old one). */
export function switchCurrent(paths: PlasmaPaths, release: Release): void {
  const tmp = `${paths.currentRelease}.${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(path.relative(path.dirname(paths.currentRelease), release.dir), tmp);
  fs.renameSync(tmp, paths.currentRelease);
}
