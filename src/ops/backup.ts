import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { extract as tarExtract, pack as tarPack } from 'tar-stream';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import { copyDatabase, MIGRATIONS, openSnapshot, Repo } from '../db/index.ts';
import { EnvironmentService } from '../environments/index.ts';
import { createLogger } from '../log/index.ts';

/**
 * `plasma backup`: one archive with what a host needs to come back — the database (a consistent copy taken
 * while the hub runs), the config, the secrets (cookie secret, proxy token) and a manifest of the environments
 * (their labels and build settings, so they can be rebuilt on another host). Images and homes are not in it.
 */

export const BACKUP_FORMAT = 1;

export interface EnvironmentEntry {
  name: string;
  display_name: string;
  description: string;
  image: string;
  image_id: string | null;
  repo: string;
  ref: string;
  commit: string | null;
  memory: string | null;
  cpu: number | null;
  build_args: Record<string, string>;
  owner: string | null;
  built_at: string | null;
  groups: string[];
  source: string;
}

export interface BackupManifest {
  format: number;
  plasma_version: string;
  /** The migrations the database has: a backup with one this release does not know is from a newer Plasma. */
  migrations: string[];
  created: string;
  host: string;
  reason: string;
  files: string[];
  counts: Record<string, number>;
  environments: EnvironmentEntry[];
  /** Why the environments list may be short (Docker down while backing up). */
  environments_note?: string;
}

export class BackupError extends Error {}

/** Files of the prefix an archive holds, by their path in it. */
function stateFiles(paths: PlasmaPaths): Record<string, string> {
  return {
    'config/config.yaml': paths.configFile,
    'state/hub-secret': paths.secretsFile,
    'state/proxy-token': paths.proxyTokenFile,
  };
}

async function counts(file: string): Promise<{ migrations: string[]; counts: Record<string, number> }> {
  const snap = openSnapshot(file);
  try {
    const out: Record<string, number> = {};
    for (const table of ['users', 'groups', 'user_groups', 'api_tokens', 'servers', 'builds', 'environment_groups'] as const) {
      try {
        out[table] = Number((await snap.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      } catch {
        out[table] = 0; // an older schema without this table
      }
    }
    return { migrations: snap.migrations(), counts: out };
  } finally {
    await snap.close();
  }
}

/** The environments as the catalogue sees them (labels first, then build records), read from a copy of the database. */
async function environmentsOf(file: string, config: PlasmaConfig, paths: PlasmaPaths): Promise<{ list: EnvironmentEntry[]; note?: string }> {
  const snap = openSnapshot(file);
  try {
    const service = new EnvironmentService(new Repo(snap.db), config, paths, createLogger('plasma-backup', 'error'));
    const all = await service.all();
    return {
      list: all.map((e) => ({
        name: e.name, display_name: e.displayName, description: e.description, image: e.image, image_id: e.imageId, repo: e.repo, ref: e.ref,
        commit: e.commit, memory: e.memory, cpu: e.cpu, build_args: e.buildArgs, owner: e.owner, built_at: e.builtAt, groups: e.groups, source: e.source,
      })),
    };
  } catch (err) {
    return { list: [], note: `environments not listed: ${(err as Error).message}` };
  } finally {
    await snap.close();
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

export async function createBackup(paths: PlasmaPaths, config: PlasmaConfig, options: { to?: string; reason?: string; version: string }): Promise<{ file: string; manifest: BackupManifest }> {
  if (!fs.existsSync(paths.database)) throw new BackupError(`there is no database at ${paths.database} yet: nothing to back up`);
  const to = path.resolve(options.to ?? paths.archivesDir);
  try {
    fs.mkdirSync(to, { recursive: true, mode: 0o700 });
    fs.accessSync(to, fs.constants.W_OK);
  } catch {
    throw new BackupError(`${to} is not a writable folder`);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-backup-'));
  try {
    const dbCopy = path.join(work, 'plasma.sqlite');
    await copyDatabase(paths.database, dbCopy);
    const { migrations, counts: tableCounts } = await counts(dbCopy);
    const environments = await environmentsOf(dbCopy, config, paths);
    const present = Object.entries(stateFiles(paths)).filter(([, file]) => fs.existsSync(file));
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT, plasma_version: options.version, migrations, created: new Date().toISOString(), host: os.hostname(),
      reason: options.reason ?? 'plasma backup', files: ['state/plasma.sqlite', ...present.map(([name]) => name)], counts: tableCounts,
      environments: environments.list, ...(environments.note ? { environments_note: environments.note } : {}),
    };
    const file = path.join(to, `plasma-backup-${stamp()}.tar.gz`);
    const pack = tarPack();
    const add = (name: string, content: Buffer) => new Promise<void>((resolve, reject) => pack.entry({ name, mode: 0o600, mtime: new Date() }, content, (err) => (err ? reject(err) : resolve())));
    const written = pipeline(pack, zlib.createGzip(), fs.createWriteStream(`${file}.tmp`, { mode: 0o600 }));
    await add('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2)));
    await add('state/plasma.sqlite', fs.readFileSync(dbCopy));
    for (const [name, source] of present) await add(name, fs.readFileSync(source));
    pack.finalize();
    await written;
    fs.renameSync(`${file}.tmp`, file);
    return { file, manifest };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The archive's files, in memory (a few megabytes: the database is the big one). */
export async function readBackup(file: string): Promise<{ manifest: BackupManifest; files: Map<string, Buffer> }> {
  if (!fs.existsSync(file)) throw new BackupError(`${file} does not exist`);
  const files = new Map<string, Buffer>();
  const extract = tarExtract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
    stream.on('end', () => {
      files.set(header.name, Buffer.concat(chunks));
      next();
    });
    stream.resume();
  });
  try {
    await pipeline(fs.createReadStream(file), zlib.createGunzip(), extract);
  } catch (err) {
    throw new BackupError(`${file} is not a Plasma backup (${(err as Error).message})`);
  }
  const raw = files.get('manifest.json');
  if (!raw) throw new BackupError(`${file} is not a Plasma backup: it has no manifest.json`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BackupError(`${file}: its manifest.json is not valid JSON`);
  }
  if (manifest.format !== BACKUP_FORMAT) throw new BackupError(`${file} is a backup of format ${manifest.format}; this Plasma reads format ${BACKUP_FORMAT}`);
  const unknown = manifest.migrations.filter((m) => !(m in MIGRATIONS));
  if (unknown.length) {
    throw new BackupError(`${file} comes from a newer Plasma (${manifest.plasma_version}): its database has migration ${unknown[0]}, which this release does not know. Upgrade first, then restore.`);
  }
  if (!files.has('state/plasma.sqlite')) throw new BackupError(`${file} has no database`);
  return { manifest, files };
}

/** Puts an archive's files back (the hub must not be running: the caller stops and restarts it). */
export async function restoreFiles(paths: PlasmaPaths, backup: { files: Map<string, Buffer> }): Promise<string[]> {
  const targets: Record<string, string> = { 'state/plasma.sqlite': paths.database, ...stateFiles(paths) };
  const restored: string[] = [];
  for (const [name, content] of backup.files) {
    const target = targets[name];
    if (!target) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const tmp = `${target}.restore-${process.pid}`;
    fs.writeFileSync(tmp, content, { mode: name.startsWith('config/') ? 0o640 : 0o600 });
    if (name === 'state/plasma.sqlite') for (const ext of ['-wal', '-shm']) fs.rmSync(`${target}${ext}`, { force: true });
    fs.renameSync(tmp, target);
    restored.push(name);
  }
  return restored;
}

/** Backups in a folder, newest first. */
export function listBackups(dir: string): Array<{ file: string; created: Date; bytes: number }> {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /^plasma-backup-.*\.tar\.gz$/.test(f)).map((f) => {
    const stat = fs.statSync(path.join(dir, f));
    return { file: path.join(dir, f), created: stat.mtime, bytes: stat.size };
  }).sort((a, b) => b.created.getTime() - a.created.getTime());
}

/** Keeps the newest `keep` archives in a folder. */
export function pruneBackups(dir: string, keep: number): string[] {
  const removed = listBackups(dir).slice(keep).map((b) => b.file);
  for (const file of removed) fs.rmSync(file, { force: true });
  return removed;
}
