import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { alive } from './processes.ts';
import { BIN } from './stack.ts';

/**
 * A Plasma installed with `plasma install` into a temporary prefix, its services run as background processes
 * (pid files in run/) as on a host without systemd. Its config is written first, with free ports.
 */
export class Installation {
  readonly prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-install-'));
  proxyPort = 0;
  apiPort = 0;
  hubPort = 0;
  adminToken = '';

  constructor(private readonly config: Record<string, any> = {}) {}

  get publicUrl() { return `http://127.0.0.1:${this.proxyPort}`; }
  get apiUrl() { return `${this.publicUrl}/hub/api`; }
  get installedBin() { return path.join(this.prefix, 'app', 'current', 'bin', 'plasma.mjs'); }

  async writeConfig(): Promise<void> {
    [this.proxyPort, this.apiPort, this.hubPort] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
    const base = { hub: { port: this.hubPort }, proxy: { port: this.proxyPort, api_port: this.apiPort }, log_level: 'info' };
    fs.mkdirSync(path.join(this.prefix, 'config'), { recursive: true });
    fs.writeFileSync(path.join(this.prefix, 'config', 'config.yaml'), YAML.stringify(deepMerge(base, this.config)));
  }

  /** Runs a plasma command: the checkout's by default, or the installed release's (`installed: true`). */
  run(args: string[], options: { installed?: boolean; input?: string; bin?: string; prefix?: string } = {}): Promise<{ code: number; out: string; err: string }> {
    const bin = options.bin ?? (options.installed ? this.installedBin : BIN);
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, PLASMA_PREFIX: options.prefix ?? this.prefix }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => resolve({ code: code ?? 1, out, err }));
      child.stdin.end(options.input ?? '');
    });
  }

  async cli(args: string[], options: { installed?: boolean; input?: string; bin?: string } = {}): Promise<string> {
    const res = await this.run(args, options);
    if (res.code !== 0) throw new Error(`plasma ${args.join(' ')} exited ${res.code}:\n${res.err}\n${res.out}`);
    return res.out;
  }

  pid(service: 'hub' | 'proxy'): number | null {
    try {
      const pid = Number(fs.readFileSync(path.join(this.prefix, 'run', `${service}.pid`), 'utf8'));
      return alive(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  async api(method: string, apiPath: string, options: { token?: string; json?: unknown } = {}) {
    const res = await fetch(`${this.apiUrl}${apiPath}`, {
      method, headers: { Authorization: `token ${options.token ?? this.adminToken}`, ...(options.json ? { 'Content-Type': 'application/json' } : {}) },
      body: options.json === undefined ? undefined : JSON.stringify(options.json), signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    let data: any = null;
    try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, data, text };
  }

  /** Stops what runs from this prefix (by its pid files) and removes it. */
  async destroy(): Promise<void> {
    for (const service of ['hub', 'proxy'] as const) {
      const pid = this.pid(service);
      if (pid) process.kill(pid, 'SIGTERM');
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (this.pid('hub') || this.pid('proxy'))) await new Promise((r) => setTimeout(r, 100));
    fs.rmSync(this.prefix, { recursive: true, force: true });
  }
}

function deepMerge(a: Record<string, any>, b: Record<string, any>): Record<string, any> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = v && typeof v === 'object' && !Array.isArray(v) && a[k] && typeof a[k] === 'object' ? deepMerge(a[k], v) : v;
  return out;
}
