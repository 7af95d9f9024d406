import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BuildInputError, parseRepository, type Credentials, type RepositorySource } from './input.ts';

/**
 * Fetches a repository with the real git CLI, never through a shell. Credentials reach git through
 * GIT_ASKPASS for this one fetch, from files that only root can read and that are deleted afterwards:
 * they are in no URL, argument or environment variable, so `ps` and the logs never see them.
 */

export interface FetchOptions {
  source: RepositorySource;
  ref: string;
  /** An empty folder to check out into (nothing else is written in it). */
  dest: string;
  /** A private folder beside dest for the askpass helper; removed when the fetch ends. */
  authDir: string;
  credentials?: Credentials;
  localRoots: string[];
  timeoutMs: number;
  maxBytes: number;
  log(line: string): void;
  signal?: AbortSignal;
}

export interface FetchedRepository {
  commit: string;
  bytes: number;
}

const ASKPASS = `#!/bin/sh
case "$1" in
  Username*|username*) exec cat "$PLASMA_ASKPASS_DIR/username" ;;
  *) exec cat "$PLASMA_ASKPASS_DIR/password" ;;
esac
`;

class GitError extends Error {
  constructor(message: string, readonly output: string) {
    super(message);
  }
}

function gitEnv(options: FetchOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: options.authDir,
    LANG: 'C',
    // Never prompt, never read the host's git config (helpers, stored credentials), and allow only
    // these transports, for submodules too (git itself then refuses ext::, fd:: and ssh).
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: options.localRoots.length ? 'https:http:git:file' : 'https:http:git',
    GIT_PROTOCOL_FROM_USER: '0',
  };
  if (options.credentials) {
    env.GIT_ASKPASS = path.join(options.authDir, 'askpass');
    env.PLASMA_ASKPASS_DIR = options.authDir;
  }
  return env;
}

function git(args: string[], options: FetchOptions, cwd: string, quiet = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'protocol.ext.allow=never', '-c', 'protocol.fd.allow=never', ...args], {
      cwd, env: gitEnv(options), stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, timeout: options.timeoutMs, killSignal: 'SIGKILL',
    });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const chunk = d.toString();
      output = (output + chunk).slice(-8000);
      if (!quiet) for (const line of chunk.split(/[\r\n]+/)) if (line.trim()) options.log(line.trimEnd());
    });
    child.on('error', (err) => reject(new GitError(`git could not run: ${err.message}`, output)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(stdout.trim());
      if (signal === 'SIGKILL' || options.signal?.aborted) return reject(new GitError(`git ${args[0]} did not finish within ${Math.round(options.timeoutMs / 1000)} s`, output));
      reject(new GitError(`git ${args[0]} failed (exit ${code})`, output));
    });
  });
}

/** What git said, turned into what the teacher should do. */
function explain(err: GitError, options: FetchOptions): BuildInputError {
  const out = err.output;
  if (/could not read Username|Authentication failed|terminal prompts disabled|401|403/i.test(out)) {
    return new BuildInputError(options.credentials ? 'password' : 'repo',
      options.credentials ? 'the repository refused these credentials' : 'the repository needs credentials: give a username and a password or token');
  }
  if (/couldn't find remote ref|not our ref|unadvertised object|no such remote ref/i.test(out)) {
    return new BuildInputError('ref', `ref ${JSON.stringify(options.ref)} was not found in the repository`);
  }
  if (/not found|does not appear to be a git repository|repository .* not found|Could not resolve host|Connection refused|unable to access/i.test(out)) {
    const why = out.split('\n').map((l) => l.replace(/^fatal: /, '').trim()).filter(Boolean).pop() ?? err.message;
    return new BuildInputError('repo', `the repository could not be fetched: ${why}`);
  }
  if (/transport .* not allowed/i.test(out)) return new BuildInputError('repo', 'the repository uses a transport that is not allowed');
  return new BuildInputError('repo', `${err.message}: ${out.trim().split('\n').pop() ?? ''}`.trim());
}

function writeAskpass(options: FetchOptions): void {
  fs.mkdirSync(options.authDir, { recursive: true, mode: 0o700 });
  if (!options.credentials) return;
  fs.writeFileSync(path.join(options.authDir, 'askpass'), ASKPASS, { mode: 0o700 });
  fs.writeFileSync(path.join(options.authDir, 'username'), options.credentials.username, { mode: 0o600 });
  fs.writeFileSync(path.join(options.authDir, 'password'), options.credentials.password, { mode: 0o600 });
}

/** Resolves a submodule URL as git does (relative to the superproject's URL) and applies the same rules. */
function checkSubmoduleUrl(name: string, raw: string, superUrl: string, localRoots: string[]): void {
  let url = raw;
  if (raw.startsWith('./') || raw.startsWith('../')) {
    const base = superUrl.endsWith('/') ? superUrl : `${superUrl}/`;
    url = superUrl.startsWith('/') ? path.resolve(superUrl, raw) : new URL(raw, base).toString();
  }
  try {
    parseRepository(url, localRoots);
  } catch (err) {
    throw new BuildInputError('repo', `submodule ${name} is refused: ${(err as Error).message}`);
  }
}

async function checkSubmodules(dir: string, superUrl: string, options: FetchOptions): Promise<string[]> {
  if (!fs.existsSync(path.join(dir, '.gitmodules'))) return [];
  let listing = '';
  try {
    listing = await git(['config', '-f', '.gitmodules', '--get-regexp', '^submodule\\..*\\.url$'], options, dir, true);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const line of listing.split('\n').filter(Boolean)) {
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const name = key.replace(/^submodule\./, '').replace(/\.url$/, '');
    checkSubmoduleUrl(name, line.slice(space + 1).trim(), superUrl, options.localRoots);
    names.push(name);
  }
  return names;
}

function treeSize(dir: string, limit: number): number {
  let total = 0;
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) total += fs.statSync(full).size;
      if (total > limit) return;
    }
  };
  walk(dir);
  return total;
}

/** Fetches `ref` of the repository into `dest` (a shallow fetch where the server allows it) and checks it out. */
export async function fetchRepository(options: FetchOptions): Promise<FetchedRepository> {
  const { dest, ref } = options;
  const url = options.source.url;
  fs.mkdirSync(dest, { recursive: true });
  writeAskpass(options);
  try {
    await git(['init', '-q', dest], options, path.dirname(dest), true);
    await git(['remote', 'add', '--', 'origin', url], options, dest, true);
    options.log(`Fetching ${url} at ${ref}`);
    try {
      await git(['fetch', '--depth', '1', '--no-tags', '--progress', '--', 'origin', ref], options, dest);
    } catch (err) {
      if (!(err instanceof GitError) || !/^[0-9a-f]{4,40}$/i.test(ref) || /Authentication|could not read Username/i.test(err.output)) throw err;
      // Servers refuse a want for an arbitrary commit: fetch the branches and tags, then find it.
      options.log(`${ref} is not a branch or tag the server offers directly; fetching the whole history to find the commit`);
      await git(['fetch', '--progress', '--', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'], options, dest);
    }
    const target = /^[0-9a-f]{4,40}$/i.test(ref) ? ref : 'FETCH_HEAD';
    let commit: string;
    try {
      commit = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${target}^{commit}`], options, dest, true);
    } catch {
      commit = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', 'FETCH_HEAD^{commit}'], options, dest, true);
      if (target !== 'FETCH_HEAD') throw new BuildInputError('ref', `ref ${JSON.stringify(ref)} was not found in the repository`);
    }
    await git(['-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', commit], options, dest, true);
    options.log(`Checked out ${commit}`);

    // Submodules: every URL is checked before git sees it, level by level.
    const pending: Array<{ dir: string; url: string }> = [{ dir: dest, url }];
    for (let depth = 0; pending.length && depth < 5; depth++) {
      const level = pending.splice(0);
      for (const { dir, url: superUrl } of level) {
        const names = await checkSubmodules(dir, superUrl, options);
        if (!names.length) continue;
        options.log(`Fetching submodules: ${names.join(', ')}`);
        await git(['submodule', 'sync', '--quiet'], options, dir, true);
        await git(['submodule', 'update', '--init', '--progress'], options, dir);
        for (const name of names) {
          const subPath = await git(['config', '-f', '.gitmodules', '--get', `submodule.${name}.path`], options, dir, true).catch(() => '');
          const subUrl = await git(['config', '--get', `submodule.${name}.url`], options, dir, true).catch(() => '');
          if (subPath && subUrl) pending.push({ dir: path.join(dir, subPath), url: subUrl });
        }
      }
    }
    const bytes = treeSize(dest, options.maxBytes);
    if (bytes > options.maxBytes) {
      throw new BuildInputError('repo', `the repository holds more than ${Math.round(options.maxBytes / 1024 ** 2)} MiB of files (environments.max_repo_mb)`);
    }
    return { commit, bytes };
  } catch (err) {
    if (err instanceof GitError) throw explain(err, options);
    throw err;
  } finally {
    fs.rmSync(options.authDir, { recursive: true, force: true });
  }
}
