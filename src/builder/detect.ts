import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { BuildInputError } from './input.ts';

/**
 * Reads a checked-out repository the way repo2docker does: a `binder/` or `.binder/` folder, when there is
 * one, holds the configuration; a Dockerfile is built as is; otherwise each known file adds a step.
 * Only regular files are read (a link could point anywhere on the host), and each has a size cap.
 */

export interface PythonDeps {
  /** Requirement lines to install (the file's own lines, or converted from a Pipfile). */
  lines: string[];
  /** Where they came from, for the log. */
  from: string;
  /** Lines that name files of the repository (-r, -e ., paths): installed after the repository is copied. */
  local: boolean;
}

export interface RepoPlan {
  /** '' (the root), 'binder' or '.binder'. */
  configDir: string;
  /** Path (from the root) of a Dockerfile to build as is. */
  dockerfile?: string;
  apt: string[];
  python?: PythonDeps;
  /** `pip install .` after the copy (a Python package at the root). */
  pythonPackage?: string;
  condaFile?: string;
  r?: { installR?: string; description: boolean };
  juliaProject?: string;
  postBuild?: string;
  start?: string;
  /** Things the teacher should know (ignored files, versions Debian cannot honour). */
  notes: string[];
}

export interface DetectOptions {
  condaConfigured: boolean;
  juliaConfigured: boolean;
}

export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
const APT_PACKAGE = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?(=[A-Za-z0-9.+:~_-]+)?$/;
const LOCAL_REQUIREMENT = /^(-r|--requirement|-c|--constraint|-e|--editable)\b|^(\.|\/|file:)/;

function kind(root: string, rel: string): 'file' | 'dir' | 'link' | 'other' | null {
  const stat = fs.lstatSync(path.join(root, rel), { throwIfNoEntry: false });
  if (!stat) return null;
  if (stat.isSymbolicLink()) return 'link';
  if (stat.isFile()) return 'file';
  if (stat.isDirectory()) return 'dir';
  return 'other';
}

function readConfigFile(root: string, rel: string): string {
  const what = kind(root, rel);
  if (what === 'link') throw new BuildInputError('repo', `${rel} is a symbolic link: Plasma reads configuration files only as regular files`);
  if (what !== 'file') throw new BuildInputError('repo', `${rel} is not a regular file`);
  const size = fs.statSync(path.join(root, rel)).size;
  if (size > MAX_CONFIG_FILE_BYTES) {
    throw new BuildInputError('repo', `${rel} is ${(size / 1024 ** 2).toFixed(1)} MB: configuration files may be at most 1 MB`);
  }
  return fs.readFileSync(path.join(root, rel), 'utf8');
}

function parseApt(text: string, rel: string): string[] {
  const packages: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    for (const name of line.split(/\s+/)) {
      if (!APT_PACKAGE.test(name)) throw new BuildInputError('repo', `${rel} line ${i + 1}: ${JSON.stringify(name.slice(0, 80))} is not a Debian package name`);
      packages.push(name);
    }
  });
  if (packages.length > 1000) throw new BuildInputError('repo', `${rel} names ${packages.length} packages: at most 1000`);
  return packages;
}

function parseRequirements(text: string, from: string): PythonDeps {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() && !l.trim().startsWith('#'));
  return { lines, from, local: lines.some((l) => LOCAL_REQUIREMENT.test(l.trim()) || /^\S+\s*@\s*file:/.test(l.trim())) };
}

/** One Pipfile entry as a pip requirement line. */
function pipfileRequirement(name: string, spec: unknown): { line: string; local: boolean } {
  if (typeof spec === 'string') return { line: spec === '*' ? name : `${name}${spec}`, local: false };
  if (spec && typeof spec === 'object') {
    const s = spec as Record<string, unknown>;
    const extras = Array.isArray(s.extras) && s.extras.length ? `[${s.extras.join(',')}]` : '';
    if (typeof s.path === 'string') return { line: `${s.editable ? '-e ' : ''}${s.path}`, local: true };
    if (typeof s.git === 'string') return { line: `${name}${extras} @ git+${s.git}${typeof s.ref === 'string' ? `@${s.ref}` : ''}`, local: false };
    const version = typeof s.version === 'string' && s.version !== '*' ? s.version : '';
    return { line: `${name}${extras}${version}`, local: false };
  }
  throw new BuildInputError('repo', `Pipfile: the entry for ${name} is not understood`);
}

/** Pipfile.lock (exact pins) or Pipfile (its ranges), as pipenv's `--system --dev` would install them. */
function parsePipfile(root: string, dir: string): PythonDeps | undefined {
  const lockRel = path.join(dir, 'Pipfile.lock');
  const fileRel = path.join(dir, 'Pipfile');
  const lines: string[] = [];
  let local = false;
  if (kind(root, lockRel)) {
    let lock: Record<string, Record<string, { version?: string }>>;
    try {
      lock = JSON.parse(readConfigFile(root, lockRel));
    } catch (err) {
      if (err instanceof BuildInputError) throw err;
      throw new BuildInputError('repo', `${lockRel} is not valid JSON`);
    }
    for (const section of ['default', 'develop']) {
      for (const [name, entry] of Object.entries(lock[section] ?? {})) {
        const r = pipfileRequirement(name, entry.version ?? entry);
        lines.push(r.line);
        local ||= r.local;
      }
    }
    return { lines, from: lockRel, local };
  }
  if (!kind(root, fileRel)) return undefined;
  let pipfile: Record<string, unknown>;
  try {
    pipfile = parseToml(readConfigFile(root, fileRel)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof BuildInputError) throw err;
    throw new BuildInputError('repo', `${fileRel} is not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
  for (const section of ['packages', 'dev-packages']) {
    for (const [name, spec] of Object.entries((pipfile[section] ?? {}) as Record<string, unknown>)) {
      const r = pipfileRequirement(name, spec);
      lines.push(r.line);
      local ||= r.local;
    }
  }
  return { lines, from: fileRel, local };
}

function runtimeOf(root: string, rel: string, notes: string[]): { kind: 'python' | 'r' } | undefined {
  if (!kind(root, rel)) return undefined;
  const line = readConfigFile(root, rel).split('\n').map((l) => l.trim()).find(Boolean) ?? '';
  let m = /^python-(\d+)(?:\.(\d+))?/.exec(line);
  if (m) {
    if (m[1] !== '3') throw new BuildInputError('repo', `${rel} asks for Python ${m[1]}: Plasma builds on Debian's Python 3.11`);
    if (m[2] && m[2] !== '11') notes.push(`${rel} asks for Python 3.${m[2]}; Debian 12 provides Python 3.11, which is used`);
    return { kind: 'python' };
  }
  m = /^r-(?:([\d.]+)-)?(\d{4}-\d{2}-\d{2})$/.exec(line);
  if (m) {
    notes.push(`${rel} asks for R${m[1] ? ` ${m[1]}` : ''} as of ${m[2]}; Debian's R (4.2) and its r-cran-* packages are used`);
    return { kind: 'r' };
  }
  throw new BuildInputError('repo', `${rel}: ${JSON.stringify(line.slice(0, 60))} is not a runtime Plasma knows (python-3.x or r-YYYY-MM-DD)`);
}

function isPythonPackage(root: string): string | undefined {
  if (kind(root, 'setup.py') === 'file') return 'setup.py';
  if (kind(root, 'pyproject.toml') === 'file') {
    const text = readConfigFile(root, 'pyproject.toml');
    if (/^\[project\]/m.test(text) && /^\[build-system\]/m.test(text)) return 'pyproject.toml';
  }
  return undefined;
}

export function detectRepository(root: string, options: DetectOptions): RepoPlan {
  const binder = kind(root, 'binder') === 'dir';
  const dotBinder = kind(root, '.binder') === 'dir';
  if (binder && dotBinder) throw new BuildInputError('repo', 'the repository has both binder/ and .binder/: keep one of them');
  const configDir = binder ? 'binder' : dotBinder ? '.binder' : '';
  const at = (name: string) => (configDir ? path.join(configDir, name) : name);
  const has = (name: string) => kind(root, at(name)) !== null;
  const notes: string[] = [];
  const plan: RepoPlan = { configDir, apt: [], notes };

  if (has('Dockerfile')) {
    const text = readConfigFile(root, at('Dockerfile'));
    if (/^\s*FROM\s+andrewosh\/binder-base/im.test(text)) {
      throw new BuildInputError('repo', 'this Dockerfile uses the retired andrewosh/binder-base image: update it for repo2docker');
    }
    plan.dockerfile = at('Dockerfile');
    const ignored = ['apt.txt', 'requirements.txt', 'environment.yml', 'postBuild', 'start'].filter(has);
    if (ignored.length) notes.push(`a Dockerfile is built as is: ${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} not used`);
    return plan;
  }
  if (has('default.nix')) throw new BuildInputError('repo', `${at('default.nix')}: Nix environments are not supported; use apt.txt and requirements.txt`);
  if (has('REQUIRE') && !has('Project.toml') && !has('JuliaProject.toml')) {
    throw new BuildInputError('repo', `${at('REQUIRE')}: Julia's old REQUIRE files are not supported; use a Project.toml`);
  }

  if (has('apt.txt')) plan.apt = parseApt(readConfigFile(root, at('apt.txt')), at('apt.txt'));
  const runtime = runtimeOf(root, at('runtime.txt'), notes);

  const condaFile = ['environment.yml', 'environment.yaml'].find(has);
  if (condaFile) {
    if (!options.condaConfigured) {
      throw new BuildInputError('repo', `${at(condaFile)} needs conda, which Debian does not ship: set environments.conda.base_image to an image that has conda or mamba, or describe the environment with requirements.txt and apt.txt`);
    }
    readConfigFile(root, at(condaFile));
    plan.condaFile = at(condaFile);
  }

  const pipfile = runtime?.kind === 'r' ? undefined : parsePipfile(root, configDir);
  if (pipfile) {
    plan.python = pipfile;
    if (has('requirements.txt')) notes.push(`${pipfile.from} is used; ${at('requirements.txt')} is not (as repo2docker does)`);
  } else if (has('requirements.txt')) {
    if (condaFile) notes.push(`${at('requirements.txt')} is not used with ${at(condaFile)} (list pip packages in its pip: section)`);
    else plan.python = parseRequirements(readConfigFile(root, at('requirements.txt')), at('requirements.txt'));
  }
  if (!configDir && !condaFile) plan.pythonPackage = isPythonPackage(root);

  const description = !configDir && kind(root, 'DESCRIPTION') === 'file';
  const installR = has('install.R') ? at('install.R') : undefined;
  if (installR) readConfigFile(root, installR);
  if (runtime?.kind === 'r' || installR || description) plan.r = { installR, description };

  const julia = ['Project.toml', 'JuliaProject.toml'].find(has);
  if (julia) {
    if (!options.juliaConfigured) {
      throw new BuildInputError('repo', `${at(julia)} needs Julia, which Debian 12 does not ship: set environments.julia_apt_package to a Debian package that provides it (from a mirror that has one)`);
    }
    readConfigFile(root, at(julia));
    plan.juliaProject = at(julia);
  }
  for (const script of ['postBuild', 'start'] as const) {
    if (has(script)) {
      readConfigFile(root, at(script));
      plan[script] = at(script);
    }
  }
  return plan;
}
