import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What a teacher types when adding an environment, checked field by field. Nothing here reaches a shell:
 * the repository and ref go to git as separate arguments, the rest into labels and Docker build arguments.
 */

/** Bad input, with the field it is about (the API answers 400 and names it). */
export class BuildInputError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'BuildInputError';
  }
}

export interface Credentials {
  username: string;
  password: string;
}

export type RepositorySource =
  | { kind: 'remote'; url: string }
  /** A local repository: `path` is its real path, under one of environments.local_roots. */
  | { kind: 'local'; url: string; path: string };

export const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const CONTROL = /[\x00-\x1f\x7f]/;
const REMOTE_HELPER = /^[A-Za-z][A-Za-z0-9+.-]*::/;

function text(field: string, value: unknown, options: { max: number; allowEmpty?: boolean }): string {
  if (typeof value !== 'string') throw new BuildInputError(field, `${field} must be a string`);
  if (value.length > options.max) throw new BuildInputError(field, `${field} is too long (${options.max} characters at most)`);
  if (CONTROL.test(value)) throw new BuildInputError(field, `${field} must not contain control characters such as newlines`);
  if (!options.allowEmpty && value.trim() === '') throw new BuildInputError(field, `${field} must not be empty`);
  return value;
}

function isUnder(child: string, root: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A local repository path, accepted only below a configured root (after resolving links). */
function localSource(raw: string, given: string, localRoots: string[]): RepositorySource {
  const roots = localRoots.map((r) => path.resolve(r));
  const where = roots.length ? `under environments.local_roots (${roots.join(', ')})` : 'once environments.local_roots names the folders that hold them';
  const resolved = path.resolve(raw);
  if (!roots.some((root) => isUnder(resolved, root))) {
    throw new BuildInputError('repo', `${given} is on this server's disk: local repositories can be used only ${where}`);
  }
  let real: string;
  try {
    real = fs.realpathSync(resolved);
  } catch {
    throw new BuildInputError('repo', `${given} does not exist`);
  }
  const realRoots = roots.map((r) => (fs.existsSync(r) ? fs.realpathSync(r) : r));
  if (!realRoots.some((root) => isUnder(real, root))) {
    throw new BuildInputError('repo', `${given} leads outside environments.local_roots through a link`);
  }
  if (!fs.statSync(real).isDirectory()) throw new BuildInputError('repo', `${given} is not a folder holding a git repository`);
  return { kind: 'local', url: real, path: real };
}

/**
 * A repository URL: https, http or git, or a local path / file:// URL under environments.local_roots.
 * Credentials typed into the URL are taken out (and returned) so that the URL kept anywhere is clean.
 */
export function parseRepository(value: unknown, localRoots: string[]): { source: RepositorySource; credentials?: Credentials } {
  const raw = text('repo', value, { max: 2048 }).trim();
  if (raw.startsWith('-')) throw new BuildInputError('repo', 'repo must not start with "-"');
  if (REMOTE_HELPER.test(raw)) {
    throw new BuildInputError('repo', `git remote helpers such as ${raw.split('::')[0]}:: are refused: use an https://, http:// or git:// URL`);
  }
  if (/\s/.test(raw)) throw new BuildInputError('repo', 'repo must not contain spaces');
  if (raw.startsWith('/')) return { source: localSource(raw, raw, localRoots) };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BuildInputError('repo', `${JSON.stringify(raw)} is not a URL: use an https://, http:// or git:// URL (SSH is not supported)`);
  }
  if (url.protocol === 'file:') {
    if (url.host) throw new BuildInputError('repo', 'file:// URLs name a path on this server, not a host');
    return { source: localSource(fileURLToPath(url), raw, localRoots) };
  }
  if (!['https:', 'http:', 'git:'].includes(url.protocol)) {
    throw new BuildInputError('repo', `${url.protocol.replace(/:$/, '')} URLs are not supported: use an https://, http:// or git:// URL`);
  }
  if (!url.hostname) throw new BuildInputError('repo', 'repo must name a host');
  let credentials: Credentials | undefined;
  if (url.username || url.password) {
    if (url.protocol === 'git:') throw new BuildInputError('repo', 'git:// URLs cannot carry credentials');
    credentials = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    url.username = '';
    url.password = '';
  }
  url.hash = '';
  return { source: { kind: 'remote', url: url.toString() }, credentials };
}

/** A branch, tag or commit, as git accepts them; never an option. */
export function parseRef(value: unknown): string {
  if (value === undefined || value === null || value === '') return 'HEAD';
  const ref = text('ref', value, { max: 255 }).trim();
  if (ref.startsWith('-')) throw new BuildInputError('ref', 'ref must not start with "-"');
  if (!/^[A-Za-z0-9_][A-Za-z0-9._\/+-]*$/.test(ref) || ref.includes('..') || ref.includes('//') || ref.endsWith('/') ||
    ref.endsWith('.lock') || ref.endsWith('.')) {
    throw new BuildInputError('ref', `${JSON.stringify(ref)} is not a branch, tag or commit name`);
  }
  return ref;
}

/** tljh-repo2docker's default name: the URL's path, lower-cased, '/' → '-', outer '-_.' stripped. */
export function nameFromRepository(source: RepositorySource, localRoots: string[]): string {
  let tail: string;
  if (source.kind === 'local') {
    const root = localRoots.map((r) => path.resolve(r)).find((r) => isUnder(source.path, r));
    tail = root ? path.relative(root, source.path) || path.basename(source.path) : path.basename(source.path);
  } else {
    tail = new URL(source.url).pathname;
  }
  const name = tail.replace(/\.git\/?$/, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/-{2,}/g, '-')
    .replace(/^[-_.]+|[-_.]+$/g, '').slice(0, 63).replace(/[-_.]+$/, '');
  if (!NAME_RE.test(name)) throw new BuildInputError('name', 'no name can be made from this repository\'s URL: give one');
  return name;
}

export function parseName(value: unknown): string {
  const name = text('name', value, { max: 63 });
  if (!NAME_RE.test(name)) {
    throw new BuildInputError('name', `invalid name ${JSON.stringify(name)}: use lower-case letters, digits, - and _ (starting with a letter or digit), no spaces, "/" or ".."`);
  }
  return name;
}

/** Shown to students, and their folder's name (Plasma's `~/<display name>/`). */
export function parseDisplayName(value: unknown, fallback: string): string {
  if (value === undefined || value === null || value === '') return fallback;
  const name = text('display_name', value, { max: 64 }).trim();
  folderFor(name);
  return name;
}

/** The folder an environment gets in each home: its display name made one safe path segment. */
export function folderFor(displayName: string): string {
  const folder = displayName.replace(/[/:\\]/g, '-').trim();
  if (!folder || folder.startsWith('.') || CONTROL.test(folder)) {
    throw new BuildInputError('display_name', `display_name ${JSON.stringify(displayName)} cannot be a folder name: it must not start with "." or be empty`);
  }
  return folder;
}

export function parseDescription(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new BuildInputError('description', 'description must be a string');
  if (value.length > 2000) throw new BuildInputError('description', 'description is too long (2000 characters at most)');
  if (/[\x00-\x09\x0b-\x1f\x7f]/.test(value)) throw new BuildInputError('description', 'description must not contain control characters');
  return value.trim();
}

/** '2G', '512M' (Docker's 1024-based units), or empty for the spawner's default. */
export function parseMemoryLimit(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  const raw = typeof value === 'number' ? `${value}G` : text('memory', value, { max: 16 }).trim();
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT])i?B?$/i.exec(raw);
  if (!m) throw new BuildInputError('memory', `memory must be a size such as 512M or 2G, not ${JSON.stringify(raw)}`);
  const bytes = Number(m[1]) * 1024 ** { K: 1, M: 2, G: 3, T: 4 }[m[2].toUpperCase() as 'K' | 'M' | 'G' | 'T'];
  if (bytes < 64 * 1024 ** 2) throw new BuildInputError('memory', 'memory must be at least 64M');
  if (bytes > 1024 ** 4) throw new BuildInputError('memory', 'memory must be at most 1T');
  return `${m[1]}${m[2].toUpperCase()}`;
}

export function parseCpuLimit(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  const cpu = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof cpu !== 'number' || !Number.isFinite(cpu) || cpu <= 0) throw new BuildInputError('cpu', 'cpu must be a positive number such as 0.5 or 2');
  if (cpu > 256) throw new BuildInputError('cpu', 'cpu must be at most 256');
  return Math.round(cpu * 1000) / 1000;
}

const ARG_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const RESERVED_ARGS = /^(PLASMA_|NB_USER$|NB_UID$|REPO_DIR$|PIP_INDEX_URL$|PIP_TRUSTED_HOST$)/;

/** `KEY=VALUE` lines (tljh-repo2docker's text field) or an object; values are one line each. */
export function parseBuildArgs(value: unknown): Record<string, string> {
  if (value === undefined || value === null || value === '') return {};
  const pairs: Array<[string, unknown, string]> = [];
  if (typeof value === 'string') {
    value.split('\n').forEach((line, i) => {
      const trimmed = line.replace(/\r$/, '').trim();
      if (!trimmed || trimmed.startsWith('#')) return;
      const eq = trimmed.indexOf('=');
      if (eq <= 0) throw new BuildInputError('buildargs', `buildargs line ${i + 1} is not KEY=VALUE: ${JSON.stringify(trimmed.slice(0, 80))}`);
      pairs.push([trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1), `line ${i + 1}`]);
    });
  } else if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) pairs.push([k, v, k]);
  } else {
    throw new BuildInputError('buildargs', 'buildargs must be KEY=VALUE lines or an object');
  }
  if (pairs.length > 64) throw new BuildInputError('buildargs', 'at most 64 build arguments');
  const out: Record<string, string> = {};
  for (const [key, val, where] of pairs) {
    if (!ARG_KEY.test(key)) throw new BuildInputError('buildargs', `build argument ${where}: ${JSON.stringify(key.slice(0, 80))} is not a valid name (letters, digits and _)`);
    if (RESERVED_ARGS.test(key)) throw new BuildInputError('buildargs', `build argument ${key} is set by Plasma itself`);
    if (typeof val !== 'string') throw new BuildInputError('buildargs', `build argument ${key} must be a string`);
    if (CONTROL.test(val)) throw new BuildInputError('buildargs', `build argument ${key} must be one line: no newlines or control characters`);
    if (val.length > 4096) throw new BuildInputError('buildargs', `build argument ${key} is too long (4096 characters at most)`);
    out[key] = val;
  }
  return out;
}

export function parseCredentials(username: unknown, password: unknown): Credentials | undefined {
  const user = username === undefined || username === null ? '' : text('username', username, { max: 256, allowEmpty: true });
  const pass = password === undefined || password === null ? '' : text('password', password, { max: 4096, allowEmpty: true });
  if (!user && !pass) return undefined;
  if (!pass) throw new BuildInputError('password', 'a password or token is needed with a username');
  return { username: user || 'git', password: pass };
}
