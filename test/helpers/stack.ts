import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { fetchTrusting } from '../../src/auth/https-fetch.ts';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { hubProcess } from '../../src/system/runtime.ts';
import { alive, processHandle, stopChild } from './processes.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(REPO_ROOT, 'bin/plasma.mjs');
export const SHARED = path.resolve(REPO_ROOT, '../shared');

export type ProxyKind = 'chp' | 'plasma';

export interface StackOptions {
  proxy?: ProxyKind;
  /** Merged over the generated config (ports, prefix). */
  config?: Record<string, any>;
  adminUser?: string;
  /** The proxy serves HTTPS: the public URL is https://<host>:<port>, reached trusting `ca` (PEM). */
  tls?: { host: string; ca: () => Buffer };
}

/** A Plasma installation in a temp prefix: proxy and hub as separate processes, as in production. */
export class Stack {
  readonly prefix: string;
  proxyPort = 0;
  apiPort = 0;
  hubPort = 0;
  proxy: ChildProcess | null = null;
  hub: ChildProcess | null = null;
  adminToken = '';
  readonly adminUser: string;
  readonly proxyKind: ProxyKind;
  private hubLogCount = 0;

  constructor(private readonly options: StackOptions = {}) {
    this.prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-test-'));
    this.adminUser = options.adminUser ?? 'pt-admin';
    this.proxyKind = options.proxy ?? (process.env.PLASMA_TEST_PROXY as ProxyKind) ?? 'plasma';
  }

  get publicUrl() { return this.options.tls ? `https://${this.options.tls.host}:${this.proxyPort}` : `http://127.0.0.1:${this.proxyPort}`; }
  /** The hub's base_url ('/' unless the test's config sets hub.base_url). */
  get baseUrl(): string { return this.options.config?.hub?.base_url ?? '/'; }
  /** Public URL of the hub's pages, e.g. http://127.0.0.1:8000/hub/ (under base_url). */
  get hubPagesUrl() { return `${this.publicUrl}${this.baseUrl}hub/`; }
  get apiUrl() { return `${this.publicUrl}${this.baseUrl}hub/api`; }

  /** fetch for the public URL (trusting the stack's CA when it serves HTTPS). */
  publicFetch(url: string, init: RequestInit = {}): Promise<Response> {
    if (!this.options.tls) return fetch(url, init);
    return fetchTrusting(this.options.tls.ca())(url, init as never);
  }
  get hubUrl() { return `http://127.0.0.1:${this.hubPort}`; }
  get proxyApiUrl() { return `http://127.0.0.1:${this.apiPort}`; }
  get hubLog() { return path.join(this.prefix, 'logs', `hub-${this.hubLogCount}.log`); }
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, PLASMA_PREFIX: this.prefix, CONFIGPROXY_AUTH_TOKEN: 'pt-proxy-token-0123456789abcdef' };
  }

  writeConfig(extra: Record<string, any> = {}): void {
    const base = {
      hub: { port: this.hubPort },
      proxy: { type: this.proxyKind, port: this.proxyPort, api_port: this.apiPort },
      auth: { admin_users: [this.adminUser] },
      log_level: 'debug',
    };
    const merged = deepMerge(deepMerge(base, this.options.config ?? {}), extra);
    fs.mkdirSync(path.join(this.prefix, 'config'), { recursive: true });
    fs.writeFileSync(path.join(this.prefix, 'config', 'config.yaml'), YAML.stringify(merged));
  }

  async start(): Promise<this> {
    [this.proxyPort, this.apiPort, this.hubPort] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
    this.writeConfig();
    await this.startProxy();
    await this.startHub();
    this.adminToken = await this.cli(['token', this.adminUser]);
    return this;
  }

  async startProxy(): Promise<void> {
    const logs = fs.openSync(path.join(this.prefix, 'proxy.log'), 'a');
    if (this.proxyKind === 'chp') {
      this.proxy = spawn('/usr/bin/configurable-http-proxy', [
        '--ip', '127.0.0.1', '--port', String(this.proxyPort), '--api-ip', '127.0.0.1', '--api-port', String(this.apiPort),
        '--error-target', `${this.hubUrl}${this.baseUrl}hub/error`, '--log-level', 'warn',
      ], { env: { ...this.env, NODE_PATH: '/usr/share/nodejs' }, stdio: ['ignore', logs, logs] });
    } else {
      this.proxy = spawn(process.execPath, [BIN, 'proxy'], { env: this.env, stdio: ['ignore', logs, logs] });
    }
    fs.closeSync(logs);
    await waitFor(async () => (await fetch(`${this.proxyApiUrl}/api/routes`, { headers: { Authorization: `token ${this.env.CONFIGPROXY_AUTH_TOKEN}` } })).ok, 15_000, 'the proxy API');
  }

  /** `throughProxy: false` when the proxy is down on purpose: only the hub's own API is waited for. */
  async startHub(options: { throughProxy?: boolean } = {}): Promise<void> {
    this.hubLogCount++;
    fs.mkdirSync(path.join(this.prefix, 'logs'), { recursive: true });
    const logs = fs.openSync(this.hubLog, 'a');
    const launch = hubProcess(BIN, this.env);
    this.hub = spawn(process.execPath, launch.args, { env: launch.env, stdio: ['ignore', logs, logs] });
    fs.closeSync(logs);
    const hub = this.hub;
    await waitFor(async () => {
      if (hub.exitCode !== null) throw new Error(`the hub exited (${hub.exitCode}): ${fs.readFileSync(this.hubLog, 'utf8').slice(-2000)}`);
      return (await fetch(`${this.hubUrl}${this.baseUrl}hub/api`)).ok;
    }, 30_000, 'the hub');
    // The hub's '/' route reaches the proxy during start-up reconciliation.
    if (options.throughProxy !== false) await waitFor(async () => (await this.publicFetch(this.apiUrl)).ok, 15_000, 'the hub through the proxy');
  }

  /**
   * SIGUSR2, as `plasma restart hub` and upgrades send: the hub starts its successor, which takes the listening
   * socket over. Resolves once the old process is gone; `hub` is then a handle on the successor.
   */
  async handOverHub(): Promise<void> {
    const pidFile = path.join(this.prefix, 'run', 'hub.pid');
    const old = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(old, 'SIGUSR2');
    await waitFor(async () => !alive(old) && fs.existsSync(pidFile) && Number(fs.readFileSync(pidFile, 'utf8')) !== old, 60_000, 'the successor hub');
    this.hub = processHandle(Number(fs.readFileSync(pidFile, 'utf8')));
  }

  /** Kills the hub (SIGKILL by default: a crash) and waits until it is gone. */
  killHub(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return stopChild(this.hub, signal);
  }

  killProxy(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return stopChild(this.proxy, signal);
  }

  cli(args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`plasma ${args[0]} exited ${code}: ${err}`))));
      child.stdin.end(input ?? '');
    });
  }

  /** API call with the admin token (or another). */
  async api(method: string, apiPath: string, options: { token?: string | null; json?: unknown; raw?: string } = {}) {
    const token = options.token === undefined ? this.adminToken : options.token;
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `token ${token}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.raw !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = options.raw;
    }
    const res = await this.publicFetch(`${this.apiUrl}${apiPath}`, { method, headers, body, signal: AbortSignal.timeout(120_000) });
    const text = await res.text();
    let data: any = null;
    try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, data, text, headers: res.headers };
  }

  /** Reads the progress stream until its final event. */
  async waitReady(user: string, server = '', token?: string): Promise<any[]> {
    const url = `${this.apiUrl}/users/${user}/${server ? `servers/${server}` : 'server'}/progress`;
    const res = await fetch(url, { headers: { Authorization: `token ${token ?? this.adminToken}` }, signal: AbortSignal.timeout(150_000) });
    if (!res.ok) throw new Error(`progress answered ${res.status}: ${await res.text()}`);
    const text = await res.text();
    return text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
  }

  async routes(): Promise<Record<string, any>> {
    const res = await fetch(`${this.proxyApiUrl}/api/routes`, { headers: { Authorization: `token ${this.env.CONFIGPROXY_AUTH_TOKEN}` } });
    return res.json() as Promise<Record<string, any>>;
  }

  /** Stops everything this stack started, user servers included, and removes the prefix. */
  async stop(): Promise<void> {
    await this.killHub('SIGTERM');
    const serversDir = path.join(this.prefix, 'run', 'servers');
    if (fs.existsSync(serversDir)) {
      for (const file of fs.readdirSync(serversDir)) {
        try {
          const { state } = JSON.parse(fs.readFileSync(path.join(serversDir, file), 'utf8'));
          process.kill(-state.pid, 'SIGKILL');
        } catch { /* gone */ }
      }
    }
    await this.killProxy('SIGTERM');
    // PLASMA_KEEP_PREFIX=1 keeps the logs and state of a failed run for a look afterwards.
    if (!process.env.PLASMA_KEEP_PREFIX) fs.rmSync(this.prefix, { recursive: true, force: true });
  }
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
      if ((err as Error).message?.startsWith('the hub exited')) throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

function deepMerge(a: Record<string, any>, b: Record<string, any>): Record<string, any> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && a[k] && typeof a[k] === 'object' ? deepMerge(a[k], v) : v;
  }
  return out;
}
