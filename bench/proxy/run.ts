/**
 * bench/proxy: plasma proxy next to configurable-http-proxy 4.5.3 (Debian) and a direct connection, in one run,
 * against one backend process. Prints figures and ratios. Not a test.
 *
 *   node --import tsx bench/proxy/run.ts [--duration 10] [--million]
 *
 * HTTP load comes from wrk (a separate process, 2 threads, 50 connections). On a 2-core machine the load
 * generator, the proxy and the backend share the CPUs, so compare ratios, not absolute numbers.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import WebSocket from 'ws';
import { freeLoopbackPort } from '../../src/spawner/local.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(here, '../../bin/plasma.mjs');
const TOKEN = 'bench-proxy-token-0123456789abcdef';
const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, million: { type: 'boolean', default: false } } });
const DURATION = Number(values.duration);
const sh = promisify(execFile);

interface Contender { name: string; url: string; api?: string; proc?: ChildProcess; }

async function waitPort(url: string) {
  for (let i = 0; i < 200; i++) {
    try { await fetch(url); return; } catch { await new Promise((r) => setTimeout(r, 50)); }
  }
  throw new Error(`nothing answers at ${url}`);
}

async function startBackend(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [path.join(here, 'backend.mjs')], { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.resolve(here, '../..') });
  const port = await new Promise<number>((resolve) => proc.stdout!.once('data', (d) => resolve(Number(/listening (\d+)/.exec(String(d))![1]))));
  return { url: `http://127.0.0.1:${port}`, proc };
}

async function startProxy(kind: 'chp' | 'plasma'): Promise<Contender> {
  const [port, apiPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const args = ['--ip', '127.0.0.1', '--port', String(port), '--api-ip', '127.0.0.1', '--api-port', String(apiPort), '--log-level', 'error'];
  const env = { ...process.env, CONFIGPROXY_AUTH_TOKEN: TOKEN, NODE_PATH: '/usr/share/nodejs' };
  const proc = kind === 'chp'
    ? spawn('/usr/bin/configurable-http-proxy', args, { env, stdio: 'ignore' })
    : spawn(process.execPath, [BIN, 'proxy', ...args], { env, stdio: 'ignore' });
  const api = `http://127.0.0.1:${apiPort}`;
  await waitPort(`${api}/api/routes`);
  return { name: kind === 'chp' ? 'CHP 4.5.3' : 'plasma proxy', url: `http://127.0.0.1:${port}`, api, proc };
}

async function wrk(url: string, seconds: number, connections = 50) {
  const { stdout } = await sh('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', url], { maxBuffer: 1 << 20 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)![1]);
  const p99Raw = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout)!;
  const p99 = Number(p99Raw[1]) * (p99Raw[2] === 'us' ? 0.001 : p99Raw[2] === 's' ? 1000 : 1);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? '0';
  const socketErrors = /Socket errors: (.*)/.exec(stdout)?.[1] ?? 'none';
  const total = Number(/(\d+) requests in/.exec(stdout)![1]);
  return { rps, p99, errors: Number(errors), socketErrors, total };
}

async function wsEcho(url: string, seconds: number, connections = 10): Promise<number> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url.replace('http', 'ws') + '/bench/ws');
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  let count = 0;
  const deadline = Date.now() + seconds * 1000;
  const payload = Buffer.alloc(64, 120);
  await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
    ws.on('message', () => {
      count++;
      if (Date.now() < deadline) ws.send(payload);
      else resolve();
    });
    ws.send(payload);
  })));
  for (const ws of sockets) ws.close();
  return count / seconds;
}

async function addRoutes(api: string, n: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const post = (i: number) => new Promise<void>((resolve, reject) => {
    const body = JSON.stringify({ target: 'http://127.0.0.1:9', user: `b${i}`, jupyterhub: true });
    const req = http.request(`${api}/api/routes/user/b${i}`, {
      method: 'POST', agent, headers: { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => { res.resume(); res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`POST → ${res.statusCode}`)))); });
    req.on('error', reject);
    req.end(body);
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i += 64) await Promise.all(Array.from({ length: Math.min(64, n - i) }, (_, j) => post(i + j)));
  agent.destroy();
  return performance.now() - t0;
}

async function listLatency(api: string, times = 30): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    const res = await fetch(`${api}/api/routes`, { headers: { Authorization: `token ${TOKEN}` } });
    await res.arrayBuffer();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function wsChurn(url: string, total: number) {
  for (let i = 0; i < total; i += 100) {
    await Promise.all(Array.from({ length: 100 }, () => new Promise<void>((resolve) => {
      const ws = new WebSocket(url.replace('http', 'ws') + '/bench/ws');
      ws.once('open', () => ws.close());
      ws.once('close', () => resolve());
      ws.once('error', () => resolve());
    })));
  }
}

async function main() {
  const backend = await startBackend();
  const contenders: Contender[] = [{ name: 'direct', url: backend.url }];
  const procs: ChildProcess[] = [backend.proc];
  try {
    for (const kind of ['chp', 'plasma'] as const) {
      const c = await startProxy(kind);
      procs.push(c.proc!);
      await fetch(`${c.api}/api/routes/bench`, { method: 'POST', headers: { Authorization: `token ${TOKEN}` }, body: JSON.stringify({ target: backend.url }) });
      contenders.push(c);
    }
    console.log(`# ${DURATION} s per HTTP run (wrk -t2 -c50), websocket echo over 10 connections for ${DURATION} s, 2 cores shared`);
    const results: Record<string, Record<string, number>> = {};
    for (const c of contenders) {
      await wrk(`${c.url}/bench/x`, 2); // warm-up
      const h = await wrk(`${c.url}/bench/x`, DURATION);
      if (h.errors || h.socketErrors !== 'none') console.log(`# ${c.name}: ${h.errors} non-2xx, socket errors ${h.socketErrors}`);
      const ws = await wsEcho(c.url, DURATION);
      results[c.name] = { rps: h.rps, p99: h.p99, ws };
    }
    for (const c of contenders.slice(1)) {
      results[c.name].add10k = await addRoutes(c.api!, 10_000);
      results[c.name].list10k = await listLatency(c.api!);
    }
    const d = results.direct;
    const chp = results['CHP 4.5.3'];
    const pl = results['plasma proxy'];
    const f = (n: number, digits = 0) => n.toFixed(digits).padStart(10);
    console.log(`\n${'measure'.padEnd(34)}${'direct'.padStart(10)}${'CHP'.padStart(10)}${'plasma'.padStart(10)}   plasma/direct  plasma/CHP`);
    console.log(`${'small GET req/s (c=50)'.padEnd(34)}${f(d.rps)}${f(chp.rps)}${f(pl.rps)}   ${(pl.rps / d.rps).toFixed(2).padStart(8)}×     ${(pl.rps / chp.rps).toFixed(1).padStart(6)}×`);
    console.log(`${'small GET p99 ms (c=50)'.padEnd(34)}${f(d.p99, 2)}${f(chp.p99, 2)}${f(pl.p99, 2)}   ${(pl.p99 / d.p99).toFixed(2).padStart(8)}×     ${(pl.p99 / chp.p99).toFixed(2).padStart(6)}×`);
    console.log(`${'websocket echo msg/s (10 conns)'.padEnd(34)}${f(d.ws)}${f(chp.ws)}${f(pl.ws)}   ${(pl.ws / d.ws).toFixed(2).padStart(8)}×     ${(pl.ws / chp.ws).toFixed(1).padStart(6)}×`);
    console.log(`${'add 10,000 routes, ms'.padEnd(34)}${''.padStart(10)}${f(chp.add10k)}${f(pl.add10k)}   ${''.padStart(8)}      ${(pl.add10k / chp.add10k).toFixed(2).padStart(6)}×`);
    console.log(`${'GET /api/routes @10k, median ms'.padEnd(34)}${''.padStart(10)}${f(chp.list10k, 2)}${f(pl.list10k, 2)}   ${''.padStart(8)}      ${(pl.list10k / chp.list10k).toFixed(2).padStart(6)}×`);

    if (values.million) {
      const plasma = contenders[2];
      await fetch(`${plasma.api}/api/routes/bench`, { method: 'POST', headers: { Authorization: `token ${TOKEN}` }, body: JSON.stringify({ target: backend.url }) });
      await wrk(`${plasma.url}/bench/x`, 5);
      const warm = rssMb(plasma.proc!.pid!);
      let served = 0;
      while (served < 1_000_000) served += (await wrk(`${plasma.url}/bench/x`, 10)).total;
      const afterHttp = rssMb(plasma.proc!.pid!);
      await wsChurn(plasma.url, 10_000);
      await new Promise((r) => setTimeout(r, 2000));
      const afterWs = rssMb(plasma.proc!.pid!);
      console.log(`\nplasma proxy RSS: warm ${warm.toFixed(1)} MB; after ${served.toLocaleString('en')} requests ${afterHttp.toFixed(1)} MB (${((afterHttp / warm - 1) * 100).toFixed(1)} %);` +
        ` after 10,000 websockets opened and closed ${afterWs.toFixed(1)} MB (${((afterWs / warm - 1) * 100).toFixed(1)} % of warm)`);
    }
  } finally {
    for (const p of procs) p.kill('SIGTERM');
  }
}

await main();
