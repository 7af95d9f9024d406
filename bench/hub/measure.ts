/** Load generators for bench/hub/run.ts: each drives one hub's REST API at a fixed concurrency. */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export interface Target {
  name: string;
  /** The hub's own API (direct, not through a proxy), e.g. http://127.0.0.1:8081/hub/api */
  api: string;
  token: string;
  pid: number;
}

export const CONCURRENCY = 10;
export const PAGINATED = 'application/jupyterhub-pagination+json';

export async function call(t: Target, method: string, url: string, body?: unknown, accept?: string) {
  const res = await fetch(`${t.api}${url}`, {
    method,
    headers: { Authorization: `token ${t.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...(accept ? { Accept: accept } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(600_000),
  });
  const text = await res.text();
  return { status: res.status, text };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * `cpuMs`: the hub process's CPU time (user + system) per run. Wall-clock rates move with whatever else the
 * machine runs; the CPU a hub spends per request much less so.
 */
export interface Rate { rps: number; p50: number; p99: number; max: number; cpuMs: number }

/** CPU seconds a process has used so far (utime + stime from /proc, in clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** `total` runs of `one` by CONCURRENCY workers; one's index is the run number. `pid`: the hub, for cpuMs. */
export async function rate(total: number, one: (i: number) => Promise<void>, pid?: number): Promise<Rate> {
  const times: number[] = [];
  let next = 0;
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      await one(i);
      times.push(performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = pid ? ((cpuSeconds(pid) - cpu0) * 1000) / total : NaN;
  times.sort((a, b) => a - b);
  return { rps: total / seconds, p50: percentile(times, 50), p99: percentile(times, 99), max: times.at(-1) ?? 0, cpuMs };
}

export async function expectOk(t: Target, method: string, url: string, body?: unknown, accept?: string): Promise<string> {
  const r = await call(t, method, url, body, accept);
  if (r.status >= 300) throw new Error(`${t.name} ${method} ${url} → ${r.status} ${r.text.slice(0, 300)}`);
  return r.text;
}

const LUA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'paths.lua');
const toMs = (v: string) => (v.endsWith('us') ? parseFloat(v) / 1000 : v.endsWith('ms') ? parseFloat(v) : parseFloat(v) * 1000);

/**
 * Sends `method` (GET unless given, with a JSON `body` if given) to `paths` (under the API) in turn for `seconds` with wrk (C, one thread, CONCURRENCY connections kept alive):
 * a load generator that costs far less than the hub it drives, which a Node client does not (at thousands of
 * requests a second the client, not the hub, was the limit). Any non-2xx answer fails the run.
 */
export async function wrkRate(t: Target, paths: string[], seconds: number, headers: { accept?: string; cacheControl?: string; method?: string; body?: string } = {}): Promise<Rate & { requests: number }> {
  const base = new URL(t.api);
  const file = path.join(os.tmpdir(), `plasma-bench-paths-${process.pid}.txt`);
  fs.writeFileSync(file, paths.map((p) => `${base.pathname}${p}`).join('\n'));
  const cpu0 = cpuSeconds(t.pid);
  try {
    const { stdout } = await promisify(execFile)('/usr/bin/wrk', ['-t1', `-c${CONCURRENCY}`, `-d${seconds}s`, '--latency', '-s', LUA, `${base.origin}${base.pathname}${paths[0]}`], {
      env: {
        ...process.env, PATHS_FILE: file, TOKEN: t.token, ACCEPT: headers.accept ?? '', CACHE_CONTROL: headers.cacheControl ?? '',
        METHOD: headers.method ?? 'GET', BODY: headers.body ?? '',
      },
      maxBuffer: 1 << 20,
    });
    const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
    const failed = /NON2XX (\d+)(.*)/.exec(stdout);
    if (!failed || Number(failed[1]) > 0 || /Socket errors/.test(stdout)) throw new Error(`${t.name}: wrk saw failures: ${stdout}`);
    const cpuMs = ((cpuSeconds(t.pid) - cpu0) * 1000) / requests;
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]), p50: toMs(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? ''),
      p99: toMs(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? ''), max: toMs(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(stdout)?.[1] ?? ''), cpuMs, requests,
    };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Every page of GET /users (limit 200, JupyterHub's pagination); returns how many users it saw. */
export async function fullListing(t: Target): Promise<number> {
  let offset = 0;
  let seen = 0;
  for (;;) {
    const page = JSON.parse(await expectOk(t, 'GET', `/users?limit=200&offset=${offset}`, undefined, PAGINATED));
    seen += page.items.length;
    if (!page._pagination?.next) return seen;
    offset = page._pagination.next.offset;
  }
}

/** Creates users in requests of at most `batch` names (Plasma's limit is 10,000 a request). */
export async function createUsers(t: Target, names: string[], batch = 5000): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < names.length; i += batch) await expectOk(t, 'POST', '/users', { usernames: names.slice(i, i + batch) });
  return (performance.now() - t0) / 1000;
}

/**
 * Does the hub stall? One client sends a bulk POST /users while another asks GET /users/{name} over and over:
 * the probe's latencies during the POST, beside its idle latency.
 */
export async function stallProbe(t: Target, probeUser: string, names: string[]) {
  const idle: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await expectOk(t, 'GET', `/users/${probeUser}`);
    idle.push(performance.now() - t0);
  }
  idle.sort((a, b) => a - b);
  const during: number[] = [];
  let done = false;
  const t0 = performance.now();
  const bulk = expectOk(t, 'POST', '/users', { usernames: names }).finally(() => { done = true; });
  while (!done) {
    const s = performance.now();
    await expectOk(t, 'GET', `/users/${probeUser}`);
    during.push(performance.now() - s);
  }
  await bulk;
  const bulkSeconds = (performance.now() - t0) / 1000;
  during.sort((a, b) => a - b);
  return { bulkSeconds, idleP50: percentile(idle, 50), probes: during.length, p50: percentile(during, 50), p99: percentile(during, 99), max: during.at(-1) ?? 0 };
}

/** Resident memory of a process, in MB (from /proc). */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Median wall time of a command, run `rounds` times (seconds). */
export function commandSeconds(cmd: string, args: string[], env: NodeJS.ProcessEnv, rounds = 10): number {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    execFileSync(cmd, args, { env, stdio: 'ignore' });
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return percentile(times, 50);
}
