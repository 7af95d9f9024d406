import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { hashPassword, passwordProblem, usernameProblem } from '../auth/index.ts';
import { ensureSecretFile, loadConfig, parseConfig, type PlasmaPaths } from '../config/index.ts';
import { openDatabase, Repo } from '../db/index.ts';
import { hubAllocator } from '../system/runtime.ts';
import { bootstrapImages } from './base-image.ts';
import { currentRelease, installRelease, packageTarball, switchCurrent } from './releases.ts';
import type { Services } from './services.ts';
import { systemdRuns } from './services.ts';
import { units } from './units.ts';

/**
 * `plasma install`: idempotent, so running it again is how a host is repaired. Each step says what it
 * changed; a second run on a healthy host changes nothing and says so.
 */

const run = promisify(execFile);

export interface InstallOptions {
  /** A checkout or a release tarball; default the package this CLI runs from. */
  from: string;
  admin?: string;
  /** The admin's password; generated (and returned, to print once) when the admin is new and none is given. */
  password?: string;
  docker: boolean;
  start: boolean;
  say: (line: string) => void;
  services: () => Services;
}

export interface InstallReport {
  changes: string[];
  /** The first admin's generated password, to show once. */
  generatedPassword?: string;
}

/** The config file a fresh install writes: every default, commented out, so an admin sees what can be set. */
export function defaultConfigText(): string {
  const defaults = YAML.stringify(parseConfig({}));
  return `# Plasma's configuration. Every key is shown with its default, commented out; uncomment and change what you need.
# Check a change with "plasma config show --effective"; "plasma config set KEY VALUE" edits this file for you.
${defaults.split('\n').map((line) => (line ? `# ${line}` : line)).join('\n')}`;
}

/**
 * Creates the prefix level by level and proves it writable with a file (root passes access() checks even
 * where a write fails, e.g. on a read-only or virtual filesystem).
 */
function writableFolder(dir: string): boolean {
  const missing: string[] = [];
  let at = path.resolve(dir);
  while (!fs.existsSync(at)) {
    missing.unshift(at);
    at = path.dirname(at);
  }
  try {
    for (const level of missing) fs.mkdirSync(level, { mode: 0o755 });
    const probe = path.join(dir, `.plasma-write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
    return true;
  } catch {
    return false;
  }
}

function ensureDir(dir: string, mode: number, changes: string[]): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true, mode });
  changes.push(`created ${dir}`);
}

function writeIfDifferent(file: string, text: string, changes: string[]): boolean {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return false;
  fs.writeFileSync(file, text);
  changes.push(`wrote ${file}`);
  return true;
}

export async function install(paths: PlasmaPaths, options: InstallOptions): Promise<InstallReport> {
  const changes: string[] = [];
  const say = options.say;
  if (options.admin) {
    const problem = usernameProblem(options.admin);
    if (problem) throw new Error(`--admin: ${problem}`);
  }
  if (options.password !== undefined) {
    const problem = passwordProblem(options.password);
    if (problem) throw new Error(`--password-stdin: ${problem}`);
  }
  if (!writableFolder(paths.prefix)) throw new Error(`${paths.prefix} is not writable: run as root, or choose another PLASMA_PREFIX`);

  say('[1/6] folders and configuration');
  ensureDir(path.dirname(paths.configFile), 0o755, changes);
  for (const dir of [paths.stateDir, paths.archivesDir]) ensureDir(dir, 0o700, changes);
  for (const dir of [paths.logsDir, paths.runDir, paths.releasesDir, paths.cacheDir]) ensureDir(dir, 0o755, changes);
  if (!fs.existsSync(paths.configFile)) {
    fs.writeFileSync(paths.configFile, defaultConfigText(), { mode: 0o640 });
    changes.push(`wrote ${paths.configFile} (every default, commented out)`);
  }
  const config = loadConfig(paths); // a broken config stops the install here, with the key that is wrong
  for (const file of [paths.secretsFile, paths.proxyTokenFile]) {
    if (!fs.existsSync(file)) {
      ensureSecretFile(file);
      changes.push(`generated ${file}`);
    }
  }

  say('[2/6] the release');
  const { file, cleanup, source } = await packageTarball(options.from, say);
  try {
    const { release, fresh } = await installRelease(paths, file, say, source);
    if (fresh) changes.push(`installed release ${release.id}`);
    const current = currentRelease(paths);
    if (!current) {
      switchCurrent(paths, release);
      changes.push(`app/current → ${release.id}`);
    } else if (current.id !== release.id) {
      say(`      the current release is ${current.id}; "plasma upgrade --from ${options.from}" switches to ${release.id}`);
    }
  } finally {
    cleanup();
  }

  say('[3/6] services');
  const allocator = await ensureHubAllocator(say, changes);
  if (systemdRuns()) {
    let changed = false;
    for (const [name, text] of Object.entries(units({ prefix: paths.prefix, node: process.execPath, allocator }))) {
      changed = writeIfDifferent(path.join('/etc/systemd/system', name), text, changes) || changed;
    }
    if (changed) {
      await run('systemctl', ['daemon-reload']);
      await run('systemctl', ['enable', 'plasma-proxy', 'plasma-hub', 'plasma-backup.timer']);
      changes.push('enabled plasma-proxy, plasma-hub and the daily backup timer');
    }
  } else {
    say('      no systemd here: the hub and the proxy run as background processes ("plasma start|stop|restart", pid files in run/)');
  }

  say('[4/6] Docker and the base images');
  if (!options.docker) {
    say('      skipped (--no-docker)');
  } else {
    const dockerUp = await run('docker', ['info']).then(() => true, () => false);
    if (!dockerUp) {
      const script = path.join(currentRelease(paths)!.dir, 'scripts', 'ensure-docker.sh');
      say('      installing and starting Docker (Debian docker.io)');
      await run('bash', [script]);
      changes.push('installed or started Docker');
    }
    const images = await bootstrapImages({ progress: (line) => say(`      ${line}`) });
    if (images.built.length) changes.push(`built ${images.built.join(', ')}`);
  }

  say('[5/6] the first admin');
  let generatedPassword: string | undefined;
  if (!options.admin) {
    say('      none asked for (--admin NAME creates one)');
  } else {
    const opened = await openDatabase({ file: paths.database, backupsDir: paths.backupsDir });
    try {
      const repo = new Repo(opened.db);
      const existing = await repo.findUser(options.admin);
      if (existing && options.password === undefined) {
        if (!existing.admin) {
          await repo.updateUser(existing.id, { admin: 1 });
          changes.push(`made ${options.admin} an admin`);
        }
      } else {
        const password = options.password ?? crypto.randomBytes(15).toString('base64url');
        if (options.password === undefined) generatedPassword = password;
        const hash = await hashPassword(password);
        if (existing) await repo.updateUser(existing.id, { admin: 1, password_hash: hash });
        else await repo.createUser(options.admin, true, hash);
        changes.push(existing ? `set ${options.admin}'s password` : `created the admin ${options.admin}`);
      }
    } finally {
      await opened.close();
    }
  }

  say('[6/6] starting the proxy and the hub');
  if (!options.start) {
    say('      skipped (--no-start)');
  } else {
    const services = options.services();
    for (const name of ['proxy', 'hub'] as const) {
      const state = await services.state(name);
      if (state.running) continue;
      const started = await services.start(name);
      changes.push(`started the ${name} (pid ${started.pid})`);
    }
    say(`      Plasma answers at http://${config.proxy.ip}:${config.proxy.port}${config.hub.base_url}`);
  }
  return { changes, generatedPassword };
}

/** The hub's jemalloc (runtime.ts says why): Debian's libjemalloc2, installed when missing; glibc's malloc if that fails. */
async function ensureHubAllocator(say: (line: string) => void, changes: string[]): Promise<string | null> {
  if (process.env.PLASMA_MALLOC === 'system' || hubAllocator()) return hubAllocator();
  try {
    await run('apt-get', ['install', '-y', '-qq', 'libjemalloc2'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    changes.push('installed libjemalloc2 (the hub\'s malloc)');
  } catch (err) {
    say(`      could not install libjemalloc2 (${(err as Error).message.split('\n')[0]}): the hub keeps glibc's malloc`);
  }
  return hubAllocator();
}
