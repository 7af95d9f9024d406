import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';
import type { Logger } from '../log/index.ts';

/**
 * The fork server (forkserver.py): one Python process that has imported jupyterhub-singleuser and forks a server
 * per start. Importing it costs about a second of CPU, nearly all of what a server spends before it listens; ten
 * students starting at once on two cores waited five seconds for that. Forked, each server is ready in a fraction.
 */

export interface ForkRequest {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  log: string;
  /** The server's run file: the fork server adds the pid to it before it answers (see local.ts's RunRecord). */
  runFile: string;
  /** The system user to become; absent when the hub is not root. */
  user?: { name: string; uid: number; gid: number };
}

/** The command's Python, when it is a Python console script (`#!/usr/bin/python3`): what the fork server runs on. */
export function pythonOfScript(cmd: string): string | null {
  try {
    const fd = fs.openSync(cmd, 'r');
    const head = Buffer.alloc(128);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    const first = head.subarray(0, n).toString('latin1').split('\n')[0];
    const match = /^#!\s*(\/\S*python3(\.\d+)?)\s*$/.exec(first);
    return match && fs.existsSync(match[1]) ? match[1] : null;
  } catch {
    return null;
  }
}

function scriptPath(): string | null {
  // Beside this module in src/spawner/; in a build, dist/forkserver.py (this module is in dist/ or dist/chunks/).
  for (const rel of ['./forkserver.py', '../forkserver.py']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (fs.existsSync(file)) return file;
  }
  return null;
}

export class ForkServer {
  private child: ChildProcess | null = null;
  private ready: Promise<boolean> | null = null;
  private readonly waiting = new Map<number, { resolve: (pid: number) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  /** Once it failed to start, servers are exec'd as before (and the reason logged once). */
  private broken = false;

  constructor(
    private readonly python: string,
    /** Environment the import sees: JUPYTERHUB_SINGLEUSER_APP picks the server class at import time. */
    readonly importEnv: Record<string, string>,
    private readonly logFile: string,
    private readonly logger: Logger,
  ) {}

  /** Whether a server with this environment can be forked from here (same server class as imported). */
  serves(env: Record<string, string>): boolean {
    return !this.broken && (env.JUPYTERHUB_SINGLEUSER_APP ?? '') === (this.importEnv.JUPYTERHUB_SINGLEUSER_APP ?? '');
  }

  /** The server's pid, or null when the fork server cannot serve (the caller then starts the server itself). */
  async fork(request: ForkRequest): Promise<number | null> {
    if (!(await this.start())) return null;
    const id = this.nextId++;
    const answer = new Promise<number>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.child!.stdin!.write(`${JSON.stringify({
      id, argv: request.argv, env: request.env, cwd: request.cwd, log: request.log, run_file: request.runFile,
      user: request.user?.name, uid: request.user?.uid, gid: request.user?.gid,
    })}\n`);
    try {
      return await answer;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'the fork server could not start a server; starting it directly');
      return null;
    }
  }

  private start(): Promise<boolean> {
    this.ready ??= this.launch();
    return this.ready;
  }

  private async launch(): Promise<boolean> {
    const script = scriptPath();
    if (!script) return this.fail('forkserver.py is missing from this installation');
    const log = fs.openSync(this.logFile, 'a', 0o600);
    // -s: no site-packages of the hub's user; each server adds its own user's (forkserver.py).
    const child = spawn(this.python, ['-s', script], {
      env: this.importEnv, stdio: ['pipe', 'pipe', log], detached: true,
    });
    fs.closeSync(log);
    this.child = child;
    // The hub may exit at any time; the fork server then reads the end of its input and exits, the servers stay.
    child.unref();
    const lines = readline.createInterface({ input: child.stdout! });
    const first = new Promise<{ ready: boolean; error?: string; python?: string }>((resolve) => {
      lines.once('line', (line) => {
        try {
          resolve(JSON.parse(line));
        } catch {
          resolve({ ready: false, error: `it said ${JSON.stringify(line.slice(0, 200))}` });
        }
      });
      child.once('exit', (code) => resolve({ ready: false, error: `it exited with code ${code}` }));
      child.once('error', (err) => resolve({ ready: false, error: err.message }));
    });
    const hello = await first;
    if (!hello.ready) return this.fail(hello.error ?? 'no answer');
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    lines.on('line', (line) => this.answer(line));
    child.once('exit', (code, signal) => {
      this.logger.warn({ code, signal }, 'the fork server exited; the next server start launches a new one');
      this.child = null;
      this.ready = null;
      for (const w of this.waiting.values()) w.reject(new Error('the fork server exited'));
      this.waiting.clear();
    });
    this.logger.info({ pid: child.pid, python: hello.python }, 'fork server ready: local servers start preloaded');
    return true;
  }

  private answer(line: string): void {
    let message: { id?: number; pid?: number; error?: string };
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    const waiter = message.id === undefined ? undefined : this.waiting.get(message.id);
    if (!waiter) return;
    this.waiting.delete(message.id!);
    if (typeof message.pid === 'number') waiter.resolve(message.pid);
    else waiter.reject(new Error(message.error ?? 'no pid'));
  }

  private fail(reason: string): false {
    this.broken = true;
    this.child?.kill();
    this.child = null;
    this.logger.warn({ reason }, 'the fork server is not available: local servers start without preloading');
    return false;
  }
}
