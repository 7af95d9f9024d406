import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import { clearHandoverStatus, takeHandoverStatus } from '../system/handover.ts';
import { commandLine, isAlive, pidFile, readPid } from '../system/processes.ts';
import { hubProcess } from '../system/runtime.ts';

/**
 * The hub and the proxy as services: systemd units where systemd runs, else background processes with pid
 * files under <prefix>/run/ and logs under <prefix>/logs/ (this machine has no systemd). Either way they
 * run the release app/current points at (or, before any install, the package this CLI runs from).
 */

const run = promisify(execFile);

export type ServiceName = 'hub' | 'proxy';
export const SERVICES: ServiceName[] = ['proxy', 'hub'];

export interface ServiceState {
  name: ServiceName;
  running: boolean;
  pid: number | null;
  /** The release directory the process runs from, when it can be told. */
  release: string | null;
  healthy: boolean;
}

export class ServiceError extends Error {}

const loopback = (ip: string) => (ip === '0.0.0.0' || ip === '::' ? '127.0.0.1' : ip);
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function systemdRuns(): boolean {
  try {
    return fs.readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';
  } catch {
    return false;
  }
}

export class Services {
  constructor(
    private readonly paths: PlasmaPaths,
    private readonly config: PlasmaConfig,
    private readonly options: { bin: () => string; proxyToken: () => string; systemd?: boolean },
  ) {}

  private get systemd(): boolean {
    return this.options.systemd ?? (systemdRuns() && fs.existsSync(`/etc/systemd/system/plasma-hub.service`));
  }

  private pidOf(name: ServiceName): number | null {
    return readPid(pidFile(this.paths.runDir, name));
  }

  async healthy(name: ServiceName): Promise<boolean> {
    try {
      if (name === 'hub') {
        const res = await fetch(`http://${loopback(this.config.hub.ip)}:${this.config.hub.port}${this.config.hub.base_url}hub/api/health`, { signal: AbortSignal.timeout(2000) });
        return res.ok;
      }
      const res = await fetch(`http://${loopback(this.config.proxy.api_ip)}:${this.config.proxy.api_port}/api/routes`, {
        headers: { Authorization: `token ${this.options.proxyToken()}` }, signal: AbortSignal.timeout(2000),
      });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }

  async state(name: ServiceName): Promise<ServiceState> {
    const pid = this.pidOf(name);
    const script = pid ? commandLine(pid).find((arg) => arg.endsWith('/bin/plasma.mjs')) : undefined;
    const release = script ? (() => {
      try {
        return path.dirname(path.dirname(fs.realpathSync(script)));
      } catch {
        return null;
      }
    })() : null;
    return { name, running: pid !== null, pid, release, healthy: pid !== null && (await this.healthy(name)) };
  }

  /** Waits until `check` holds; false after `ms`. */
  private async until(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await check()) return true;
      await delay(50);
    }
    return false;
  }

  async start(name: ServiceName, timeoutMs = 30_000): Promise<ServiceState> {
    const before = await this.state(name);
    if (before.running) return before;
    if (this.systemd) {
      await run('systemctl', ['start', `plasma-${name}`]);
    } else {
      fs.mkdirSync(this.paths.logsDir, { recursive: true, mode: 0o750 });
      fs.rmSync(pidFile(this.paths.runDir, name), { force: true });
      const log = fs.openSync(path.join(this.paths.logsDir, `${name}.log`), 'a', 0o640);
      const env = { ...process.env, PLASMA_PREFIX: this.paths.prefix };
      const launch = name === 'hub' ? hubProcess(this.options.bin(), env) : { args: [this.options.bin(), name], env };
      const child = spawn(process.execPath, launch.args, { detached: true, stdio: ['ignore', log, log], env: launch.env });
      fs.closeSync(log);
      child.unref();
      let exited: number | null = null;
      child.once('exit', (code) => (exited = code ?? 1));
      const up = await this.until(async () => exited !== null || (this.pidOf(name) !== null && (await this.healthy(name))), timeoutMs);
      if (exited !== null || !up) {
        if (exited === null && child.pid && isAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
        throw new ServiceError(`the ${name} ${exited !== null ? `exited (${exited})` : `did not answer within ${timeoutMs / 1000} s`} at start; see ${path.join(this.paths.logsDir, `${name}.log`)}:\n${this.logTail(name)}`);
      }
    }
    return this.state(name);
  }

  /** The end of a service's log, for error messages. */
  logTail(name: ServiceName, lines = 12): string {
    try {
      return fs.readFileSync(path.join(this.paths.logsDir, `${name}.log`), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async stop(name: ServiceName, timeoutMs = 15_000): Promise<void> {
    if (this.systemd) return void (await run('systemctl', ['stop', `plasma-${name}`]));
    const pid = this.pidOf(name);
    if (!pid) return;
    process.kill(pid, 'SIGTERM');
    if (!(await this.until(() => !isAlive(pid), timeoutMs))) {
      process.kill(pid, 'SIGKILL');
      await this.until(() => !isAlive(pid), 5000);
    }
  }

  /**
   * Both restart by handing their sockets over: the proxy overlapping, the hub in turn (requests wait, none fails).
   * Code that cannot take a socket over (an older release, after a downgrade) is started the old way instead.
   */
  async restart(name: ServiceName): Promise<ServiceState> {
    if (!this.systemd && this.pidOf(name) && !(await this.canTakeOver(name))) {
      await this.stop(name);
      return this.start(name);
    }
    return name === 'proxy' ? this.handOverProxy() : this.handOverHub();
  }

  private async canTakeOver(name: ServiceName): Promise<boolean> {
    try {
      const { stdout } = await run(process.execPath, [this.options.bin(), name, '--help'], { env: { ...process.env, PLASMA_PREFIX: this.paths.prefix } });
      return stdout.includes('--takeover');
    } catch {
      return false;
    }
  }

  /** A handover the old process reports as failed (it keeps serving, or, for the hub, nothing does). */
  private handoverFailed(name: ServiceName): never | void {
    const status = takeHandoverStatus(this.paths.runDir, name);
    if (status?.state === 'failed') throw new ServiceError(`the ${name} handover failed: ${status.error}; see ${path.join(this.paths.logsDir, `${name}.log`)}:\n${this.logTail(name)}`);
  }

  /**
   * A new hub process (app/current) takes the listening socket over once this one has shut down; requests that
   * arrive meanwhile wait in the socket's backlog. Fails, with the log's end, when no new hub comes up.
   */
  async handOverHub(timeoutMs = 60_000): Promise<ServiceState> {
    if (this.systemd) {
      await run('systemctl', ['reload', 'plasma-hub']);
      return this.state('hub');
    }
    const old = this.pidOf('hub');
    if (!old) return this.start('hub');
    clearHandoverStatus(this.paths.runDir, 'hub');
    process.kill(old, 'SIGUSR2');
    let oldGoneAt = 0;
    const moved = await this.until(async () => {
      this.handoverFailed('hub');
      const now = this.pidOf('hub');
      if (now !== null && now !== old && (await this.healthy('hub'))) return true;
      if (!isAlive(old)) {
        oldGoneAt ||= Date.now();
        // The old hub leaves once its successor is ready, or failed: without a new one soon after, it failed.
        if (Date.now() - oldGoneAt > 3000) throw new ServiceError(`the hub exited before it was ready; see ${path.join(this.paths.logsDir, 'hub.log')}:\n${this.logTail('hub')}`);
      }
      return false;
    }, timeoutMs);
    if (!moved) throw new ServiceError(`no new hub answered within ${timeoutMs / 1000} s; see ${path.join(this.paths.logsDir, 'hub.log')}:\n${this.logTail('hub')}`);
    return this.state('hub');
  }

  /**
   * The proxy is never stopped to be replaced: a new process (running app/current) takes its listening sockets
   * over, and the old one finishes its connections. Starts it if none runs.
   */
  async handOverProxy(timeoutMs = 30_000): Promise<ServiceState> {
    if (this.systemd) {
      await run('systemctl', ['reload', 'plasma-proxy']);
    } else {
      const old = this.pidOf('proxy');
      if (!old) return this.start('proxy');
      clearHandoverStatus(this.paths.runDir, 'proxy');
      process.kill(old, 'SIGUSR2');
      const moved = await this.until(async () => {
        this.handoverFailed('proxy');
        const now = this.pidOf('proxy');
        return now !== null && now !== old && (await this.healthy('proxy'));
      }, timeoutMs);
      if (!moved) throw new ServiceError(`no new proxy took over within ${timeoutMs / 1000} s; the old one (pid ${old}) keeps serving. See ${path.join(this.paths.logsDir, 'proxy.log')}:\n${this.logTail('proxy')}`);
    }
    return this.state('proxy');
  }
}
