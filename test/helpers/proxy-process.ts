import { spawn, type ChildProcess } from 'node:child_process';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { stopChild } from './processes.ts';
import { BIN, waitFor } from './stack.ts';

export const PROXY_TOKEN = 'pt-proxy-token-abcdef0123456789';

/** `plasma proxy` as its own process, started with configurable-http-proxy's flags. */
export class ProxyProcess {
  child: ChildProcess | null = null;
  port = 0;
  apiPort = 0;
  output = '';

  constructor(private readonly extraArgs: string[] = [], private readonly env: NodeJS.ProcessEnv = {}) {}

  /** Starts a proxy with these flags, runs `fn` with it and stops it, whatever `fn` does. */
  static async using<T>(args: string[], fn: (proxy: ProxyProcess) => Promise<T>): Promise<T> {
    const proxy = new ProxyProcess(args);
    await proxy.start();
    try {
      return await fn(proxy);
    } finally {
      await proxy.stop();
    }
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get apiUrl() { return `http://127.0.0.1:${this.apiPort}`; }

  async start(ports?: { port: number; apiPort: number }): Promise<number> {
    this.port = ports?.port ?? (this.port || await freeLoopbackPort());
    this.apiPort = ports?.apiPort ?? (this.apiPort || await freeLoopbackPort());
    const started = Date.now();
    this.child = spawn(process.execPath, [BIN, 'proxy', '--ip', '127.0.0.1', '--port', String(this.port), '--api-ip', '127.0.0.1',
      '--api-port', String(this.apiPort), '--log-level', 'warn', ...this.extraArgs], {
      env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: PROXY_TOKEN, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
    await waitFor(async () => (await this.api('GET', '')).status === 200, 15_000, `plasma proxy (${this.output})`);
    return Date.now() - started;
  }

  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return stopChild(this.child, signal);
  }

  async api(method: string, path: string, body?: unknown) {
    const res = await fetch(`${this.apiUrl}/api/routes${path}`, {
      method, headers: { Authorization: `token ${PROXY_TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, text, json: text ? JSON.parse(text) : null };
  }
}
