import { spawn, type ChildProcess } from 'node:child_process';
import type { Command } from 'commander';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import { resolvePaths } from '../config/paths.ts';
import { proxyToken } from '../config/secrets.ts';
import type { Repo } from '../db/index.ts';
import type { RunningHub } from '../hub/index.ts';
import { announce, forkSuccessor, receiveListeners, waitForGo, writeHandoverStatus } from '../system/handover.ts';
import { claimPidFile, pidFile } from '../system/processes.ts';
import { hubEnvironment, keepAllocatorToSelf } from '../system/runtime.ts';
import { notifySystemd } from '../system/systemd.ts';
import { plasmaBin, successorBin } from './self.ts';
import { readStdin } from './stdin.ts';
import { registerUserBatchCommands } from './users.ts';


// The hub, the database and the config schema load when a command runs, not at start: `plasma --help` loads
// commander and these small modules only (bench/hub measures it).
const loadConfig = async (paths: PlasmaPaths) => (await import('../config/index.ts')).loadConfig(paths);
const startHub = async (...args: Parameters<typeof import('../hub/index.ts').startHub>) => (await import('../hub/index.ts')).startHub(...args);

export async function withRepo<T>(fn: (repo: Repo, config: PlasmaConfig) => Promise<T>): Promise<T> {
  const { openDatabase, Repo } = await import('../db/index.ts');
  const paths = resolvePaths();
  const config = await loadConfig(paths);
  const opened = await openDatabase({ file: paths.database, backupsDir: paths.backupsDir });
  try {
    return await fn(new Repo(opened.db), config);
  } finally {
    await opened.close();
  }
}

function fail(message: string): never {
  throw new Error(message);
}

/**
 * SIGUSR2 (`plasma upgrade`, `systemctl reload plasma-hub`): a successor hub (the current release) is started
 * and loads while this one serves; then this one stops accepting and shuts down (new connections wait in the
 * socket's backlog), and the successor starts on the same socket. Nothing is refused; requests wait a moment.
 */
function handOverOnSignal(hub: RunningHub): { done(): Promise<void> } {
  let handover: Promise<void> | null = null;
  const log = hub.ctx.log;
  process.on('SIGUSR2', () => {
    handover ??= (async () => {
      const successor = forkSuccessor(successorBin(hub.ctx.paths.currentRelease), ['hub', '--takeover'], { hub: hub.listener() }, hubEnvironment(process.env));
      try {
        await successor.waitFor('plasma:loaded', 30_000);
      } catch (err) {
        successor.kill();
        log.error({ err: (err as Error).message }, 'hub handover failed before it began: this hub keeps serving');
        writeHandoverStatus(hub.ctx.paths.runDir, 'hub', { state: 'failed', error: (err as Error).message });
        handover = null;
        return;
      }
      await hub.close();
      successor.go();
      try {
        const { pid } = await successor.waitFor('plasma:ready', 60_000);
        log.info({ pid }, 'the new hub took over');
        writeHandoverStatus(hub.ctx.paths.runDir, 'hub', { state: 'done', pid });
      } catch (err) {
        log.error({ err: (err as Error).message }, 'the new hub did not start after the handover: no hub is running');
        writeHandoverStatus(hub.ctx.paths.runDir, 'hub', { state: 'failed', error: `${(err as Error).message}; no hub is running` });
      }
      successor.release();
    })();
  });
  return { done: async () => { await handover; } };
}

/** Starts the configured proxy as a child process (same process group: Ctrl-C stops it with the hub). */
export function startProxyProcess(config: PlasmaConfig, paths: PlasmaPaths): ChildProcess {
  const token = proxyToken(config, paths);
  const env: NodeJS.ProcessEnv = { ...process.env, CONFIGPROXY_AUTH_TOKEN: token, PLASMA_PREFIX: paths.prefix };
  if (config.proxy.type === 'chp') {
    const hub = `http://${config.hub.ip === '0.0.0.0' ? '127.0.0.1' : config.hub.ip}:${config.hub.port}`;
    const [cmd, ...args] = config.proxy.chp_command;
    return spawn(cmd, [...args, '--ip', config.proxy.ip, '--port', String(config.proxy.port), '--api-ip', config.proxy.api_ip,
      '--api-port', String(config.proxy.api_port), '--error-target', `${hub}${config.hub.base_url}hub/error`, '--log-level', 'warn'], {
      env: { ...env, NODE_PATH: env.NODE_PATH ?? '/usr/share/nodejs' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  return spawn(process.execPath, [plasmaBin(), 'proxy'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** The hub reconciles routes at start: give the proxy a moment to listen first (it retries later anyway). */
async function waitForProxyApi(config: PlasmaConfig, paths: PlasmaPaths, proxy: ChildProcess): Promise<void> {
  const api = `http://${config.proxy.api_ip === '0.0.0.0' ? '127.0.0.1' : config.proxy.api_ip}:${config.proxy.api_port}/api/routes`;
  const headers = { Authorization: `token ${proxyToken(config, paths)}` };
  for (let i = 0; i < 100 && proxy.exitCode === null; i++) {
    try {
      if ((await fetch(api, { headers, signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function registerHubCommands(program: Command): void {
  program.command('hub')
    .description('run the hub alone (the proxy runs as its own process)')
    .option('--takeover', 'take the listening socket over from the hub that started this one (used by upgrades)')
    .action(async (opts: { takeover?: boolean }) => {
      keepAllocatorToSelf();
      const inherit = opts.takeover ? (await receiveListeners()).hub : undefined;
      // A successor loads everything first, then waits for its predecessor to stop, then reconciles and serves.
      const beforeServing = opts.takeover ? async () => { announce('plasma:loaded'); await waitForGo(); } : undefined;
      const hub = await startHub({ inherit, beforeServing });
      // The pid file names this hub before a predecessor hears it is ready: the predecessor, exiting, removes the
      // file only while it still names the predecessor (told first, it could read its own pid, then remove ours).
      const releasePid = claimPidFile(pidFile(hub.ctx.paths.runDir, 'hub'));
      if (opts.takeover) announce('plasma:ready');
      notifySystemd({ READY: '1', MAINPID: String(process.pid) });
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void hub.close());
      const handingOver = handOverOnSignal(hub);
      await hub.closed;
      await handingOver.done();
      releasePid();
    });

  program.command('up')
    .description('run the proxy and the hub in the foreground; Ctrl-C stops both but never the user servers')
    .action(async () => {
      const paths = resolvePaths();
      const config = await loadConfig(paths);
      const proxy = startProxyProcess(config, paths);
      let stopping = false;
      proxy.on('exit', (code, signal) => {
        if (!stopping) console.error(`plasma: the proxy exited (${signal ?? code}); user traffic stops until it is back`);
      });
      await waitForProxyApi(config, paths, proxy);
      const hub = await startHub({ paths, config });
      // plasma status sees this hub; a hand-over needs a service of its own (plasma start), so SIGUSR2 is ignored here.
      const releasePid = claimPidFile(pidFile(paths.runDir, 'hub'));
      process.on('SIGUSR2', () => console.error('plasma: "plasma up" runs in the foreground and cannot hand over; use plasma start for services'));
      console.error(`plasma: ready at http://${config.proxy.ip}:${config.proxy.port}${config.hub.base_url}`);
      const stop = () => {
        stopping = true;
        void hub.close();
        if (proxy.exitCode === null) proxy.kill('SIGTERM');
      };
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, stop);
      await hub.closed;
      releasePid();
      stop();
    });

  program.command('token')
    .description('print a new API token for a user')
    .argument('<user>', 'the user the token acts as')
    .option('--note <text>', 'what the token is for', 'Requested via plasma token')
    .option('--expires-in <seconds>', 'lifetime in seconds (default: never expires)')
    .action(async (name: string, opts: { note: string; expiresIn?: string }) => {
      const { newApiToken } = await import('../api/routes/tokens.ts');
      const token = await withRepo(async (repo, config) => {
        let user = await repo.findUser(name);
        if (!user && config.auth.admin_users.includes(name)) user = await repo.createUser(name, true);
        if (!user) fail(`no such user: ${name} (create it with "plasma users add ${name}")`);
        const expires = opts.expiresIn === undefined ? null : Number(opts.expiresIn);
        if (expires !== null && !(expires > 0)) fail('--expires-in must be a positive number of seconds');
        const secret = newApiToken();
        await repo.insertToken({
          userId: user.id, token: secret, note: opts.note,
          expiresAt: expires === null ? null : new Date(Date.now() + expires * 1000).toISOString(),
        });
        return secret;
      });
      process.stdout.write(`${token}\n`);
    });

  const users = program.command('users').description('manage hub users');
  users.command('add')
    .argument('<name>')
    .option('--admin', 'make the user an admin', false)
    .option('--password-stdin', 'read a password from standard input (native authentication)', false)
    .action(async (name: string, opts: { admin: boolean; passwordStdin: boolean }) => {
      const { hashPassword, passwordProblem, usernameProblem } = await import('../auth/index.ts');
      const problem = usernameProblem(name);
      if (problem) fail(problem);
      const password = opts.passwordStdin ? await readStdin() : null;
      if (password !== null) {
        const bad = passwordProblem(password);
        if (bad) fail(bad);
      }
      await withRepo(async (repo) => {
        const hash = password === null ? null : await hashPassword(password);
        const existing = await repo.findUser(name);
        if (existing) {
          await repo.updateUser(existing.id, { admin: opts.admin || existing.admin ? 1 : 0, ...(hash ? { password_hash: hash } : {}) });
          console.log(`updated user ${name}`);
        } else {
          await repo.createUser(name, opts.admin, hash);
          console.log(`created user ${name}${opts.admin ? ' (admin)' : ''}`);
        }
      });
    });
  users.command('passwd')
    .description('set a native user\'s password from standard input')
    .argument('<name>')
    .action(async (name: string) => {
      const { hashPassword, passwordProblem } = await import('../auth/index.ts');
      const password = await readStdin();
      const bad = passwordProblem(password);
      if (bad) fail(bad);
      await withRepo(async (repo) => {
        const user = (await repo.findUser(name)) ?? fail(`no such user: ${name}`);
        await repo.updateUser(user.id, { password_hash: await hashPassword(password), cookie_id: crypto.randomUUID() });
        console.log(`password of ${name} changed; their sessions ended`);
      });
    });
  registerUserBatchCommands(users, withRepo);
}
