import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import { createBackup, readBackup, restoreFiles } from './backup.ts';
import { currentRelease, installRelease, listReleases, packageTarball, switchCurrent, type Release } from './releases.ts';
import type { Services } from './services.ts';

/**
 * `plasma upgrade`: the new release is installed beside the old one, the state is backed up, the new code
 * migrates the database (in one transaction, while the old hub still serves), `current` is switched, the hub
 * restarts, and a new proxy takes the listening sockets over. User servers are never touched. If the
 * migration fails or the new hub does not come up, the old release goes back on the old database.
 */

const run = promisify(execFile);

export interface StepTiming {
  step: string;
  ms: number;
  detail: string;
}

export interface UpgradeReport {
  outcome: 'upgraded' | 'unchanged' | 'rolled back';
  from: string | null;
  to: string;
  backup: string | null;
  steps: StepTiming[];
  error?: string;
}

export class UpgradeError extends Error {
  constructor(message: string, readonly report: UpgradeReport) {
    super(message);
  }
}

interface LastUpgrade {
  from: string;
  to: string;
  backup: string;
  at: string;
}

function lastUpgradeFile(paths: PlasmaPaths): string {
  return path.join(path.dirname(paths.currentRelease), 'last-upgrade.json');
}

export function lastUpgrade(paths: PlasmaPaths): LastUpgrade | null {
  try {
    return JSON.parse(fs.readFileSync(lastUpgradeFile(paths), 'utf8'));
  } catch {
    return null;
  }
}

class Steps {
  readonly list: StepTiming[] = [];
  constructor(private readonly say: (line: string) => void) {}

  async run<T>(step: string, fn: () => Promise<T>, detail: (value: T) => string = () => ''): Promise<T> {
    const t0 = performance.now();
    this.say(`${step} …`);
    const value = await fn();
    const ms = Math.round(performance.now() - t0);
    const text = detail(value);
    this.list.push({ step, ms, detail: text });
    this.say(`${step}: done in ${ms} ms${text ? ` (${text})` : ''}`);
    return value;
  }
}

/** The new release's own code migrates the database; the message names the migration that failed. */
async function migrateWith(release: Release, paths: PlasmaPaths): Promise<string[]> {
  try {
    const { stdout } = await run(process.execPath, [path.join(release.dir, 'bin', 'plasma.mjs'), 'db', 'migrate', '--json'], {
      env: { ...process.env, PLASMA_PREFIX: paths.prefix },
    });
    return (JSON.parse(stdout) as { applied: string[] }).applied;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(stderr.replace(/^plasma: /, '').trim().split('\n')[0] || (err as Error).message);
  }
}

export async function upgrade(paths: PlasmaPaths, config: PlasmaConfig, services: Services, options: {
  from: string; version: string; say: (line: string) => void; force?: boolean;
}): Promise<UpgradeReport> {
  const old = currentRelease(paths);
  if (!old) throw new Error(`Plasma is not installed under ${paths.prefix} (there is no app/current): run "plasma install" first`);
  const steps = new Steps(options.say);
  const report: UpgradeReport = { outcome: 'upgraded', from: old.id, to: '', backup: null, steps: steps.list };

  const { file, cleanup, source } = await packageTarball(options.from, options.say);
  let next: Release;
  try {
    next = (await steps.run('install the new release', () => installRelease(paths, file, options.say, source), (r) => `${r.release.id}${r.fresh ? '' : ', already there'}`)).release;
  } finally {
    cleanup();
  }
  report.to = next.id;
  if (next.id === old.id && !options.force) {
    report.outcome = 'unchanged';
    options.say(`${next.id} is already the current release: nothing to do (--force reinstalls it)`);
    return report;
  }

  const backup = await steps.run('back up the database, config and secrets', () => createBackup(paths, config, { reason: `before upgrading ${old.id} → ${next.id}`, version: options.version }), (b) => b.file);
  report.backup = backup.file;

  try {
    await steps.run('migrate the database (one transaction)', () => migrateWith(next, paths), (applied) => applied.length ? applied.join(', ') : 'nothing to migrate');
  } catch (err) {
    report.outcome = 'rolled back';
    report.error = `${(err as Error).message}. The old release ${old.id} keeps running on the old database.`;
    throw new UpgradeError(report.error, report);
  }

  switchCurrent(paths, next);
  fs.writeFileSync(lastUpgradeFile(paths), JSON.stringify({ from: old.id, to: next.id, backup: backup.file, at: new Date().toISOString() } satisfies LastUpgrade, null, 2));
  try {
    await steps.run('restart the hub on the new release', () => services.restart('hub'), (s) => `pid ${s.pid}`);
  } catch (err) {
    const why = (err as Error).message;
    await rollBack(paths, services, old, backup.file, options.say);
    report.outcome = 'rolled back';
    report.error = `the new hub did not start: ${why}\nRolled back to ${old.id} on the database as it was before the upgrade.`;
    throw new UpgradeError(report.error, report);
  }
  await steps.run('hand the proxy\'s sockets to a new proxy process', () => services.handOverProxy(), (s) => `pid ${s.pid}`);
  return report;
}

/** The old release back on the database from before the upgrade: used on failure, and by `plasma rollback`. */
async function rollBack(paths: PlasmaPaths, services: Services, to: Release, backupFile: string, say: (line: string) => void): Promise<void> {
  say(`rolling back to ${to.id}`);
  await services.stop('hub');
  await restoreFiles(paths, { files: new Map([...(await readBackup(backupFile)).files].filter(([name]) => name === 'state/plasma.sqlite')) });
  switchCurrent(paths, to);
  await services.start('hub');
}

/** `plasma rollback`: undoes the last upgrade (its release and its database backup). */
export async function rollbackLast(paths: PlasmaPaths, services: Services, say: (line: string) => void): Promise<{ from: string; to: string }> {
  const last = lastUpgrade(paths);
  if (!last) throw new Error('there is no upgrade to roll back');
  const target = listReleases(paths).find((r) => r.id === last.from);
  if (!target) throw new Error(`the release ${last.from} is no longer installed`);
  if (currentRelease(paths)?.id !== last.to) throw new Error(`the current release is not ${last.to} (the last upgrade's): nothing to roll back`);
  if (!fs.existsSync(last.backup)) throw new Error(`the backup taken before the upgrade (${last.backup}) is gone`);
  await rollBack(paths, services, target, last.backup, say);
  await services.handOverProxy();
  fs.rmSync(lastUpgradeFile(paths), { force: true });
  return { from: last.to, to: last.from };
}
