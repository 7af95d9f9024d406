import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { stopChild } from './processes.ts';

/**
 * Real git servers on loopback for tests: git's own `git-http-backend` (smart HTTP, as CGI behind a small
 * Node server that can ask for basic auth), and `git daemon` for git:// URLs. Repositories are bare
 * repositories under one folder, filled by committing real files with the git CLI.
 */

export type RepoFiles = Record<string, string | { content: string | Buffer; mode?: number }>;

const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Plasma test', GIT_AUTHOR_EMAIL: 'test@plasma.invalid', GIT_COMMITTER_NAME: 'Plasma test', GIT_COMMITTER_EMAIL: 'test@plasma.invalid' };

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export class GitServer {
  readonly root: string;
  private readonly work: string;
  private server: http.Server | null = null;
  private daemon: ChildProcess | null = null;
  port = 0;
  daemonPort = 0;
  /** Every request line the HTTP server saw (to check that no credentials travel in URLs). */
  readonly requests: Array<{ method: string; url: string; user: string | null }> = [];
  private readonly privateRepos = new Map<string, { user: string; password: string }>();

  constructor(root?: string) {
    this.root = root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-git-'));
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-git-work-'));
    fs.chmodSync(this.root, 0o755);
  }

  url(name: string): string {
    return `http://127.0.0.1:${this.port}/${name}.git`;
  }

  gitUrl(name: string): string {
    return `git://127.0.0.1:${this.daemonPort}/${name}.git`;
  }

  path(name: string): string {
    return path.join(this.root, `${name}.git`);
  }

  /** Creates (or adds a commit to) repository `name` with these files; returns the new commit. */
  commit(name: string, files: RepoFiles, options: { remove?: string[]; message?: string; tag?: string } = {}): string {
    const bare = this.path(name);
    const checkout = path.join(this.work, name);
    if (!fs.existsSync(bare)) {
      git(this.root, 'init', '-q', '--bare', '-b', 'main', bare);
      git(this.root, 'clone', '-q', bare, checkout);
    }
    for (const [rel, spec] of Object.entries(files)) {
      const full = path.join(checkout, rel);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      const { content, mode } = typeof spec === 'string' ? { content: spec, mode: undefined } : spec;
      fs.writeFileSync(full, content);
      if (mode !== undefined) fs.chmodSync(full, mode);
    }
    for (const rel of options.remove ?? []) fs.rmSync(path.join(checkout, rel), { recursive: true, force: true });
    git(checkout, 'add', '-A');
    git(checkout, 'commit', '-q', '--allow-empty', '-m', options.message ?? 'update');
    if (options.tag) git(checkout, 'tag', options.tag);
    git(checkout, 'push', '-q', '--tags', 'origin', 'HEAD:main');
    return git(checkout, 'rev-parse', 'HEAD');
  }

  /** Adds repository `sub` as a submodule at `at` of repository `name`, by a relative URL (../sub.git), and pushes. */
  submodule(name: string, at: string, sub: string): string {
    const checkout = path.join(this.work, name);
    git(checkout, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', `../${sub}.git`, at);
    git(checkout, 'commit', '-q', '-m', `add ${sub} as ${at}`);
    git(checkout, 'push', '-q', 'origin', 'HEAD:main');
    return git(checkout, 'rev-parse', 'HEAD');
  }

  /** Basic auth for one repository: requests without these credentials get 401. */
  protect(name: string, user: string, password: string): void {
    this.privateRepos.set(name, { user, password });
  }

  async start(): Promise<this> {
    this.port = await freeLoopbackPort();
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  async startDaemon(): Promise<void> {
    this.daemonPort = await freeLoopbackPort();
    this.daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${this.root}`, '--listen=127.0.0.1', `--port=${this.daemonPort}`, this.root], {
      stdio: 'ignore', env: GIT_ENV,
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        execFileSync('git', ['ls-remote', this.gitUrl('__none__')], { stdio: 'ignore', env: GIT_ENV, timeout: 2000 });
      } catch (err) {
        // "repository not found" means the daemon answers.
        if ((err as { status?: number }).status === 128) return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const repo = url.pathname.split('/')[1]?.replace(/\.git$/, '') ?? '';
    let user: string | null = null;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) user = Buffer.from(auth.slice(6), 'base64').toString().split(':')[0];
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', user });
    const guard = this.privateRepos.get(repo);
    if (guard) {
      const given = auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
      if (given !== `${guard.user}:${guard.password}`) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="plasma-test"' });
        return void res.end('authentication required\n');
      }
    }
    const cgi = spawn('/usr/lib/git-core/git-http-backend', [], {
      env: {
        ...GIT_ENV, GIT_PROJECT_ROOT: this.root, GIT_HTTP_EXPORT_ALL: '1', PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1), REQUEST_METHOD: req.method ?? 'GET', CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: user ?? '', REMOTE_ADDR: '127.0.0.1', HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const colon = line.indexOf(':');
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else headers[key] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  }

  async stop(): Promise<void> {
    await stopChild(this.daemon, 'SIGTERM');
    this.server?.closeAllConnections();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    fs.rmSync(this.root, { recursive: true, force: true });
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}
