import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type { Ignore } from '@balena/dockerignore';
import { pack as tarPack, type Header } from 'tar-stream';

/**
 * The build context as a tar stream: the repository (without .git, filtered by its .dockerignore) and
 * Plasma's own files. Entries carry fixed owners and times, so an unchanged repository hashes the same
 * and Docker's layer cache holds. Links stay links: nothing outside the checkout is ever read.
 */

export interface ContextSpec {
  repoDir: string;
  /** Where the repository sits in the context: '' (a Dockerfile repository) or 'src'. */
  repoPrefix: '' | 'src';
  /** Extra files (context path → content), e.g. the rendered Dockerfile and plasma/requirements.txt. */
  files: Record<string, string>;
}

const MTIME = new Date('2000-01-01T00:00:00Z');
// A CommonJS module whose typings claim an ES default export: load it as what it is.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as (options?: { ignorecase?: boolean }) => Ignore;

function ignoreFilter(repoDir: string): (rel: string) => boolean {
  const file = path.join(repoDir, '.dockerignore');
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile() || stat.size > 1024 * 1024) return () => false;
  const ig = dockerignore({ ignorecase: false }).add(fs.readFileSync(file, 'utf8'));
  return (rel) => ig.ignores(rel);
}

interface Entry {
  header: Partial<Header> & { name: string };
  file?: string;
  content?: Buffer;
}

function* walk(root: string, rel: string, ignored: (rel: string) => boolean, keep: Set<string>): Generator<{ rel: string; full: string; stat: fs.Stats }> {
  const names = fs.readdirSync(path.join(root, rel)).sort();
  for (const name of names) {
    if (name === '.git') continue;
    const childRel = rel ? `${rel}/${name}` : name;
    if (ignored(childRel) && !keep.has(childRel)) continue;
    const full = path.join(root, childRel);
    const stat = fs.lstatSync(full);
    yield { rel: childRel, full, stat };
    if (stat.isDirectory()) yield* walk(root, childRel, ignored, keep);
  }
}

function entries(spec: ContextSpec): Entry[] {
  const out: Entry[] = [];
  const prefix = spec.repoPrefix ? `${spec.repoPrefix}/` : '';
  const base = { mtime: MTIME, uid: 0, gid: 0, uname: '', gname: '' };
  if (prefix) out.push({ header: { ...base, name: prefix, type: 'directory', mode: 0o755 } });
  // A Dockerfile repository's Dockerfile and .dockerignore are always sent, as Docker's CLI does.
  const keep = new Set(spec.repoPrefix ? [] : Object.keys(spec.files).concat(['Dockerfile', '.dockerignore', 'binder/Dockerfile', '.binder/Dockerfile']));
  for (const { rel, full, stat } of walk(spec.repoDir, '', ignoreFilter(spec.repoDir), keep)) {
    const name = prefix + rel;
    if (stat.isDirectory()) out.push({ header: { ...base, name: `${name}/`, type: 'directory', mode: 0o755 } });
    else if (stat.isSymbolicLink()) out.push({ header: { ...base, name, type: 'symlink', linkname: fs.readlinkSync(full), mode: 0o777 } });
    else if (stat.isFile()) out.push({ header: { ...base, name, type: 'file', size: stat.size, mode: stat.mode & 0o111 ? 0o755 : 0o644 }, file: full });
  }
  for (const [name, text] of Object.entries(spec.files)) {
    const content = Buffer.from(text);
    out.push({ header: { ...base, name, type: 'file', size: content.length, mode: 0o644 }, content });
  }
  return out;
}

/** Streams the context; entries are read one at a time, so memory stays flat whatever the repository's size. */
export function buildContext(spec: ContextSpec): { stream: Readable; files: number } {
  const list = entries(spec);
  const pack = tarPack();
  const next = (i: number) => {
    if (i >= list.length) return void pack.finalize();
    const { header, file, content } = list[i];
    if (!file) {
      pack.entry(header, content ?? Buffer.alloc(0), (err) => (err ? pack.destroy(err) : next(i + 1)));
      return;
    }
    const sink = pack.entry(header, (err) => (err ? pack.destroy(err) : next(i + 1)));
    const source = fs.createReadStream(file);
    source.on('error', (err) => pack.destroy(err));
    source.pipe(sink);
  };
  next(0);
  return { stream: pack as unknown as Readable, files: list.length };
}
