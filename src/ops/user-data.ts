import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import { ensureSecretFile } from '../config/index.ts';

/**
 * Students' files, backed up with restic (Debian's package): incremental, deduplicated snapshots of the homes
 * in a repository the admin names. The repository's password is a generated file in the state folder that
 * restic reads itself (RESTIC_PASSWORD_FILE), so it is never on a command line.
 */

const run = promisify(execFile);

export class UserDataError extends Error {}

export interface SnapshotSummary {
  snapshot: string;
  files_new: number;
  files_changed: number;
  files_unmodified: number;
  bytes_added: number;
  seconds: number;
}

function resticEnv(paths: PlasmaPaths, repo: string): NodeJS.ProcessEnv {
  const passwordFile = path.join(paths.stateDir, 'restic-password');
  ensureSecretFile(passwordFile);
  return { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: passwordFile, RESTIC_CACHE_DIR: path.join(paths.cacheDir, 'restic') };
}

function checkRepo(repo: string | undefined): string {
  if (!repo) throw new UserDataError('no restic repository: give --repo REPO or set backup.user_data.repo');
  if (repo.startsWith('-') || /[\s\x00-\x1f]/.test(repo)) throw new UserDataError(`${JSON.stringify(repo)} is not a restic repository`);
  return repo;
}

async function restic(paths: PlasmaPaths, repo: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('restic', args, { env: resticEnv(paths, repo), maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserDataError('restic is not installed: apt-get install restic');
    throw new UserDataError(`restic ${args[0]} failed: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').slice(-2).join(' ')}`);
  }
}

async function ensureRepository(paths: PlasmaPaths, repo: string, say: (line: string) => void): Promise<void> {
  try {
    await restic(paths, repo, ['cat', 'config']);
  } catch {
    say(`initialising the restic repository ${repo}`);
    await restic(paths, repo, ['init']);
  }
}

/** A snapshot of the homes, with progress on a terminal; then retention (--keep-daily/--keep-weekly). */
export async function backupUserData(paths: PlasmaPaths, config: PlasmaConfig, options: { repo?: string; say: (line: string) => void }): Promise<SnapshotSummary> {
  const repo = checkRepo(options.repo ?? config.backup.user_data.repo);
  const dirs = config.backup.user_data.paths.filter((p) => fs.existsSync(p));
  if (!dirs.length) throw new UserDataError(`none of backup.user_data.paths exists: ${config.backup.user_data.paths.join(', ')}`);
  await ensureRepository(paths, repo, options.say);
  const summary = await new Promise<SnapshotSummary>((resolve, reject) => {
    const child = spawn('restic', ['backup', '--json', '--tag', 'plasma', ...dirs], { env: resticEnv(paths, repo), stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    let result: SnapshotSummary | null = null;
    let lastSaid = 0;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let msg: Record<string, any>;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.message_type === 'status' && Date.now() - lastSaid > 2000) {
          lastSaid = Date.now();
          options.say(`  ${Math.round((msg.percent_done ?? 0) * 100)}% (${msg.files_done ?? 0} files)`);
        }
        if (msg.message_type === 'summary') {
          result = {
            snapshot: msg.snapshot_id, files_new: msg.files_new, files_changed: msg.files_changed, files_unmodified: msg.files_unmodified,
            bytes_added: msg.data_added, seconds: msg.total_duration,
          };
        }
      }
    });
    child.on('error', (err) => reject(new UserDataError((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'restic is not installed: apt-get install restic' : err.message)));
    child.on('close', (code) => (code === 0 && result ? resolve(result) : reject(new UserDataError(`restic backup failed (exit ${code}): ${stderr.trim().split('\n').pop()}`))));
  });
  const { keep_daily: daily, keep_weekly: weekly } = config.backup.user_data;
  await restic(paths, repo, ['forget', '--tag', 'plasma', '--keep-daily', String(daily), '--keep-weekly', String(weekly), '--prune']);
  return summary;
}

function hashFile(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Restores the latest snapshot into a temporary folder and compares it with the live files: every file the
 * snapshot holds must come back byte for byte, except those changed since (named, not counted as errors).
 */
export async function verifyUserData(paths: PlasmaPaths, config: PlasmaConfig, options: { repo?: string }) {
  const repo = checkRepo(options.repo ?? config.backup.user_data.repo);
  const latest = JSON.parse(await restic(paths, repo, ['snapshots', '--json', '--latest', '1', '--tag', 'plasma'])) as Array<{ id: string; time: string; paths: string[] }>;
  if (!latest.length) throw new UserDataError(`the repository ${repo} has no Plasma snapshot yet: run "plasma backup --user-data"`);
  const snap = latest.at(-1)!;
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-verify-'));
  try {
    await restic(paths, repo, ['restore', snap.id, '--target', target]);
    const taken = new Date(snap.time).getTime();
    let same = 0;
    const changedSince: string[] = [];
    const differ: string[] = [];
    const walk = (rel: string) => {
      for (const entry of fs.readdirSync(path.join(target, rel), { withFileTypes: true })) {
        const child = path.join(rel, entry.name);
        if (entry.isDirectory()) walk(child);
        else if (entry.isFile()) {
          const live = path.join('/', child);
          const stat = fs.statSync(live, { throwIfNoEntry: false });
          if (!stat || stat.mtimeMs > taken) changedSince.push(live);
          else if (hashFile(live) === hashFile(path.join(target, child))) same++;
          else differ.push(live);
        }
      }
    };
    walk('');
    return { snapshot: snap.id, time: snap.time, files_identical: same, changed_since: changedSince, differ, ok: differ.length === 0 };
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
}

/** Restores one path (a file or a folder) of the latest snapshot to where it was. */
export async function restoreUserPath(paths: PlasmaPaths, config: PlasmaConfig, options: { repo?: string; path: string }): Promise<void> {
  const repo = checkRepo(options.repo ?? config.backup.user_data.repo);
  if (!path.isAbsolute(options.path) || options.path.includes('\0')) throw new UserDataError('give the absolute path of what to restore');
  await restic(paths, repo, ['restore', 'latest', '--tag', 'plasma', '--target', '/', '--include', options.path]);
}
