import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { PlasmaConfig } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import { tailFile } from '../log/tail.ts';
import { lookupUser } from '../system/users.ts';
import { SpawnError, type LogOptions, type ManagedServer, type PollResult, type ServerUsage, type SpawnContext, type Spawner, type SpawnerState, type StartedServer } from './types.ts';
import { processGroupUsage, processGroupsUsage, processesByEnvironment, statFields } from './proc.ts';
import { serverSlug } from './naming.ts';
import { ForkServer, pythonOfScript } from './preload.ts';

interface LocalState extends SpawnerState {
  pid: number;
  /** Kernel start time of the process (clock ticks), so a recycled pid is not mistaken for ours. */
  startTicks: number;
  port: number;
  runFile: string;
}

/**
 * A run file: the server's state once its pid is known; before the fork, only the launch mark its environment will
 * carry, so a hub killed between the fork and the pid's record leaves a process the next one can still find.
 */
interface RunRecord {
  user: string;
  serverName: string;
  state?: LocalState;
  launch?: { id: string; port: number };
  /** Added by the fork server when it forked the process (a forked server's environment holds no launch mark). */
  forked?: { pid: number };
}

/** The environment variable that marks a server process with its launch (see RunRecord). */
const LAUNCH_MARK = 'PLASMA_LAUNCH_ID';

const ENV_KEEP = ['PATH', 'PYTHONPATH', 'LANG', 'LC_ALL', 'VIRTUAL_ENV', 'CONDA_ROOT', 'CONDA_DEFAULT_ENV'];

/** The hub's own variables a server inherits (ENV_KEEP); everything else it gets is set for it. */
function keptEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ENV_KEEP) if (process.env[key]) env[key] = process.env[key]!;
  return env;
}

let ephemeralStart: number | undefined;
/** The first port the kernel hands out for outgoing connections (Linux default 32768), read once. */
function ephemeralPortStart(): number {
  if (ephemeralStart === undefined) {
    try {
      const first = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
      ephemeralStart = Number.isInteger(first) && first > 2048 ? first : 32768;
    } catch {
      ephemeralStart = 32768;
    }
  }
  return ephemeralStart;
}

/** Ports handed out lately: two callers asking before either listens must not get the same one. */
const handedOut = new Set<number>();

function listenOnce(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A loopback port that is free now, for a server that will listen on it shortly. It comes from just below the
 * kernel's ephemeral range: a port from inside it (what listening on port 0 gives) can be taken in the meantime by any
 * outgoing connection, and a proxy opening backend connections makes many (seen as EADDRINUSE in CI).
 */
export async function freeLoopbackPort(): Promise<number> {
  const top = ephemeralPortStart();
  const bottom = Math.max(1024, top - 12_000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = bottom + Math.floor(Math.random() * (top - bottom));
    if (handedOut.has(candidate)) continue;
    handedOut.add(candidate); // reserved before the check, so concurrent callers skip it
    if (handedOut.size > 2000) handedOut.delete(handedOut.values().next().value!);
    if ((await listenOnce(candidate)) !== null) return candidate;
    handedOut.delete(candidate);
  }
  const port = await listenOnce(0);
  if (port === null) throw new Error('no free loopback port');
  return port;
}

/** The kernel start time of a process, or null if it is gone or a zombie. */
function processStartTicks(pid: number): number | null {
  const fields = statFields(pid);
  if (!fields || fields[0] === 'Z' || fields[0] === 'X') return null;
  return Number(fields[19]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Of a server's processes, the one it was started as: it leads its own process group (spawned detached). */
function groupLeader(pids: number[]): number | null {
  for (const pid of pids) {
    if (Number(statFields(pid)?.[2]) === pid) return pid;
  }
  return pids.length ? Math.min(...pids) : null;
}

/** A command as exec would find it: a name without a slash is looked up in PATH. */
function resolveCommand(cmd: string, searchPath: string): string {
  if (cmd.includes('/')) return cmd;
  for (const dir of searchPath.split(':').filter(Boolean)) {
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return cmd;
}

/** Writes a whole file or nothing (a rename), so a crash mid-write leaves no torn record. */
function writeFileAtomic(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text, { mode: 0o600 });
  fs.renameSync(temp, file);
}

/** Runs jupyterhub-singleuser as a local process (development and tests); as the system user when one exists. */
export class LocalProcessSpawner implements Spawner {
  readonly kind = 'local';
  private readonly serversDir: string;
  private readonly logsDir: string;
  private forkServer: ForkServer | null = null;

  constructor(
    private readonly config: PlasmaConfig['spawner'],
    private readonly options: { runDir: string; logsDir: string; userDataDir: string; logger: Logger },
  ) {
    this.serversDir = path.join(options.runDir, 'servers');
    this.logsDir = path.join(options.logsDir, 'servers');
  }

  private runFileFor(user: string, server: string): string {
    // A server's state file (its pid): one per (user, server), never shared (see naming.ts).
    return path.join(this.serversDir, `${serverSlug(user, server)}.json`);
  }

  private logFileFor(runFile: string): string {
    return path.join(this.logsDir, path.basename(runFile).replace(/\.json$/, '.log'));
  }

  async start(ctx: SpawnContext): Promise<StartedServer> {
    fs.mkdirSync(this.serversDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.logsDir, { recursive: true, mode: 0o700 });
    const port = await freeLoopbackPort();
    const system = process.getuid?.() === 0 ? await lookupUser(ctx.user.name) : null;
    let cwd: string;
    if (system) {
      cwd = system.home;
    } else {
      cwd = path.join(this.options.userDataDir, ctx.user.name);
      fs.mkdirSync(cwd, { recursive: true, mode: 0o700 });
    }
    if (this.config.local.notebook_dir) cwd = this.config.local.notebook_dir.replace('{home}', cwd);

    const env: Record<string, string> = Object.assign(keptEnvironment(), ctx.env, {
      JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${port}${ctx.prefix}`,
      HOME: cwd,
      USER: ctx.user.name,
      [LAUNCH_MARK]: crypto.randomUUID(),
    });
    const [cmd, ...cmdArgs] = this.config.local.cmd;
    const args = [...cmdArgs, ...this.config.local.args];
    // notebook 6 refuses to run as root; only relevant when no system user exists (native users in development).
    if (!system && process.getuid?.() === 0 && !args.includes('--allow-root')) args.push('--allow-root');

    const runFile = this.runFileFor(ctx.user.name, ctx.serverName);
    const record = (r: Omit<RunRecord, 'user' | 'serverName'>) =>
      writeFileAtomic(runFile, JSON.stringify({ user: ctx.user.name, serverName: ctx.serverName, ...r } satisfies RunRecord));
    // Forking a large hub and waiting for the exec takes milliseconds, long enough for a crash to land in between.
    record({ launch: { id: env[LAUNCH_MARK], port } });
    const logFile = this.logFileFor(runFile);
    const forkServer = this.forkServerFor(cmd, env);
    const forked = forkServer
      ? await forkServer.fork({ argv: [cmd, ...args], env, cwd, log: logFile, runFile, user: system ? { name: ctx.user.name, uid: system.uid, gid: system.gid } : undefined })
      : null;
    const stateOf = (pid: number): LocalState => ({ pid, startTicks: processStartTicks(pid) ?? 0, port, runFile });
    let state: LocalState | undefined;
    if (forked) {
      state = stateOf(forked);
      record({ state });
    } else {
      const pid = await this.execServer(cmd, args, { cwd, env, logFile, uid: system?.uid, gid: system?.gid }, (child) => {
        // The pid is known as soon as the fork is done: record the process (and its start time, read while it
        // surely runs) before anything else can run, so a hub killed from here on leaves a server the next hub finds.
        if (!child.pid) return fs.rmSync(runFile, { force: true });
        state = stateOf(child.pid);
        record({ state });
      });
      state ??= stateOf(pid);
    }
    ctx.recordState(state);
    this.options.logger.info({ user: ctx.user.name, server: ctx.serverName, pid: state.pid, port, preloaded: !!forked }, 'started local server');
    return { url: `http://127.0.0.1:${port}`, state };
  }

  /** The fork server for this command and environment, when it is jupyterhub-singleuser on a Python 3 (preload.ts). */
  private forkServerFor(cmd: string, env: Record<string, string>): ForkServer | null {
    if (!this.config.local.preload || path.basename(cmd) !== 'jupyterhub-singleuser') return null;
    if (this.forkServer?.serves(env)) return this.forkServer;
    if (this.forkServer) return null; // another server class than the one imported (JUPYTERHUB_SINGLEUSER_APP)
    const python = pythonOfScript(resolveCommand(cmd, process.env.PATH ?? ''));
    if (!python) return null;
    const importEnv = keptEnvironment();
    if (env.JUPYTERHUB_SINGLEUSER_APP) importEnv.JUPYTERHUB_SINGLEUSER_APP = env.JUPYTERHUB_SINGLEUSER_APP;
    this.forkServer = new ForkServer(python, importEnv, path.join(this.logsDir, 'forkserver.log'), this.options.logger);
    return this.forkServer;
  }

  /** Starts a server by exec: its own process group, so Ctrl-C on `plasma up` or a hub crash leaves it running. */
  private async execServer(
    cmd: string, args: string[], o: { cwd: string; env: Record<string, string>; logFile: string; uid?: number; gid?: number },
    forked: (child: ChildProcess) => void,
  ): Promise<number> {
    const out = fs.openSync(o.logFile, 'a', 0o600);
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', out, out], uid: o.uid, gid: o.gid });
    fs.closeSync(out);
    forked(child);
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', (err) => reject(new SpawnError(`could not run ${cmd}: ${err.message}`, 500)));
    });
    child.unref();
    return pid;
  }

  private alive(state: SpawnerState): boolean {
    const s = state as Partial<LocalState>;
    if (typeof s.pid !== 'number' || s.pid <= 1) return false;
    const ticks = processStartTicks(s.pid);
    return ticks !== null && (!s.startTicks || ticks === s.startTicks);
  }

  async poll(state: SpawnerState): Promise<PollResult> {
    return this.alive(state) ? { running: true } : { running: false, reason: 'the server process is not running' };
  }

  /** One /proc read per server, no process started: already the bulk form. */
  async pollMany(states: SpawnerState[]): Promise<PollResult[]> {
    return Promise.all(states.map((s) => this.poll(s)));
  }

  async stop(state: SpawnerState, options: { timeoutSeconds?: number } = {}): Promise<void> {
    const s = state as Partial<LocalState>;
    if (this.alive(state)) {
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-s.pid!, sig);
        } catch {
          try { process.kill(s.pid!, sig); } catch { /* already gone */ }
        }
      };
      signal('SIGTERM');
      const deadline = Date.now() + (options.timeoutSeconds ?? 10) * 1000;
      while (this.alive(state) && Date.now() < deadline) await sleep(100);
      if (this.alive(state)) {
        signal('SIGKILL');
        // Gone, not just told: whoever asked (start-up reconciliation, a new start) relies on it.
        for (let i = 0; i < 50 && this.alive(state); i++) await sleep(20);
      }
    }
    if (s.runFile && this.recordNames(s.runFile, s)) fs.rmSync(s.runFile, { force: true });
  }

  /** Whether a run file is about this process (not a newer start of the same server's), or is unreadable. */
  private recordNames(runFile: string, s: Partial<LocalState>): boolean {
    try {
      const record = JSON.parse(fs.readFileSync(runFile, 'utf8')) as RunRecord;
      // A record with no pid yet is a start under way: not this process's.
      return !!record.state && record.state.pid === s.pid && record.state.startTicks === s.startTicks;
    } catch {
      return true;
    }
  }

  async *streamLogs(state: SpawnerState, options: LogOptions): AsyncGenerator<string> {
    const runFile = (state as Partial<LocalState>).runFile;
    if (typeof runFile !== 'string' || path.dirname(runFile) !== this.serversDir) return;
    const logFile = this.logFileFor(runFile);
    if (fs.existsSync(logFile)) yield* tailFile(logFile, options);
  }

  async listManaged(): Promise<ManagedServer[]> {
    let files: string[];
    try {
      files = fs.readdirSync(this.serversDir).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
    const records = new Map<string, RunRecord>();
    for (const file of files) {
      try {
        records.set(path.join(this.serversDir, file), JSON.parse(fs.readFileSync(path.join(this.serversDir, file), 'utf8')) as RunRecord);
      } catch {
        // A torn file from a crash mid-write: nothing can be found from it.
      }
    }
    // Launches whose pid was never written: found by their mark, all with one pass over /proc.
    const launches = [...records.values()].flatMap((r) => (!r.state && r.launch ? [r.launch.id] : []));
    const marked = processesByEnvironment(LAUNCH_MARK, launches);
    const out: ManagedServer[] = [];
    for (const [runFile, record] of records) {
      let state = record.state;
      if (!state && record.launch) {
        // Forked by the fork server: it wrote the pid; a server leads its own session, so its group is its pid.
        const forked = record.forked && Number(statFields(record.forked.pid)?.[2]) === record.forked.pid ? record.forked.pid : null;
        const pid = forked ?? groupLeader(marked.get(record.launch.id) ?? []);
        const startTicks = pid ? processStartTicks(pid) : null;
        if (pid && startTicks !== null) {
          state = { pid, startTicks, port: record.launch.port, runFile };
          this.options.logger.warn({ user: record.user, server: record.serverName, pid }, 'found a server whose start was cut off before its pid was recorded');
          writeFileAtomic(runFile, JSON.stringify({ user: record.user, serverName: record.serverName, state } satisfies RunRecord));
        }
      }
      if (state && this.alive(state)) out.push({ user: record.user, serverName: record.serverName, state });
      else fs.rmSync(runFile, { force: true });
    }
    return out;
  }

  async usage(state: SpawnerState): Promise<ServerUsage | null> {
    const s = state as Partial<LocalState>;
    if (!this.alive(state)) return null;
    return processGroupUsage(s.pid!);
  }

  async usageMany(states: SpawnerState[]): Promise<Array<ServerUsage | null>> {
    const live = states.map((s) => (this.alive(s) ? (s as Partial<LocalState>).pid! : null));
    const usage = processGroupsUsage(live.filter((pid): pid is number => pid !== null));
    return live.map((pid) => (pid === null ? null : usage.get(pid) ?? null));
  }
}
