/**
 * bench/proxy: plasma proxy next to configurable-http-proxy 4.5.3 (Debian) and the direct connection, in one run,
 * all in front of the same backend process. Prints figures and ratios.
 *
 *   node --import tsx bench/proxy/run.ts [--seconds 5] [--rounds 3] [--rss-requests 1000000] [--ws-conns 10000] [--routes 10000]
 *
 * A fourth contender, "byte pipe" (bench/proxy/pipe.mjs), forwards TCP bytes without parsing anything: no proxy in
 * Node can beat it, so it shows how much of the gap to `direct` is the machine's (kernel, sockets, 2 shared cores).
 * For the route adds, bench/proxy/bare-api.mjs plays that part: a bare node:http server that parses each POST's JSON
 * and answers 201. The same wrk bursts against it show what a minimal routes API in Node takes on this machine.
 *
 * How it measures, on a 2-core machine where everything shares the CPU:
 * - small GETs: wrk, 1 thread, 50 connections, `--seconds` per round; targets interleaved round by round
 *   (direct, pipe, CHP, plasma, direct, …) so background load hits all alike; the median round (by req/s) is reported,
 *   and ratios are medians of per-round ratios (against the direct rounds around each, and CHP's p99 in the round).
 * - websocket echo: a client process keeps 50 websockets (the `ws` package), each with 8 64-byte messages in flight;
 *   each round's ratio is taken against the direct rounds before and after it, and the median ratio is reported.
 * - routes: bursts of 10,000 POSTs from wrk at 10 in flight (JupyterHub's own limit) over keep-alive, after a first
 *   burst that warms API and client and is removed again; `--rounds` timed bursts, interleaved with the other APIs,
 *   median reported; then GET /api/routes from wrk on one connection for 3 s (median), and from a Node client for
 *   comparison.
 * - RSS: /proc/<pid>/status of the proxy process, warm (after the phases above and 15 s idle, so the reading is
 *   at rest, as the last one is), then after --rss-requests requests (wrk in 10-s slices until the count is reached)
 *   and --ws-conns websockets opened and closed, and again after 15 s and 60 s idle. Both ends at rest: comparing a reading
 *   taken mid-garbage with one taken after collection would measure the collector's timing, not a leak.
 * Not a test: nothing here asserts a time.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { benchArgs } from '../args.ts';

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const values = benchArgs(import.meta.url, {
    seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' },
    'rss-requests': { type: 'string', default: '1000000' }, 'ws-conns': { type: 'string', default: '10000' },
    /** CHP serves ~3k req/s here, so a million requests take it 5+ minutes; this can shorten its RSS phase. */
    'chp-rss-requests': { type: 'string' },
    routes: { type: 'string', default: '10000' },
  });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const RSS_REQUESTS = Number(values['rss-requests']);
const CHP_RSS_REQUESTS = Number(values['chp-rss-requests'] ?? RSS_REQUESTS);
const WS_CONNS = Number(values['ws-conns']);
const ROUTES = Number(values.routes);
const TOKEN = 'bench-proxy-token-0123456789abcdef';

interface Target { name: 'direct' | 'pipe' | 'chp' | 'plasma' | 'bare'; url: string; apiUrl?: string; pid?: number; }
const children: ChildProcess[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-bench-proxy-'));

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: (out: string) => boolean): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      if (ready(out)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${cmd} exited (${code}): ${out}`)));
  });
}

async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(url, { headers: { Authorization: `token ${TOKEN}` } });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

const apiAgent = new http.Agent({ keepAlive: true, maxSockets: 10 });
function api(t: Target, method: string, route: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(`${t.apiUrl}/api/routes${route}`, {
      method, agent: apiAgent,
      headers: { Authorization: `token ${TOKEN}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!m) return NaN;
  return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[m[2]];
}

async function wrk(url: string, seconds: number): Promise<{ rps: number; p99: number; requests: number }> {
  const { stdout } = await run('/usr/bin/wrk', ['-t1', '-c50', `-d${seconds}s`, '--latency', url], { maxBuffer: 1 << 20 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p99 = toMs(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
  if (errors) console.log(`#   ${url}: ${errors[0]}`);
  return { rps, p99, requests };
}

/**
 * Echo rate with `window` messages in flight per socket, so it measures throughput rather than round-trip time. The
 * client is its own process (bench/proxy/ws-echo-client.mjs, also used by ws-cpu.sh).
 */
async function wsEcho(url: string, seconds: number, connections = 50, window = 8): Promise<number> {
  const { stdout } = await run(process.execPath, [path.join(REPO, 'bench/proxy/ws-echo-client.mjs'), url, String(seconds), String(connections), String(window)]);
  return Number(stdout.trim());
}

async function wsOpenClose(url: string, total: number, batch = 100): Promise<number> {
  let failed = 0;
  for (let done = 0; done < total; done += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, total - done) }, () => new Promise<void>((resolve) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('open', () => ws.close());
      ws.once('close', () => resolve());
      ws.once('error', () => { failed++; resolve(); });
    })));
  }
  return failed;
}

/** Times ROUTES route adds from wrk (a C client, so the proxy, not the client, is what is measured). */
function addRoutesWithWrk(t: Target, backend: string, prefix = 'bench-w'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/wrk', ['-t1', '-c10', '-d120s', '-s', path.join(REPO, 'bench/proxy/add-routes.lua'), t.apiUrl!], {
      env: { ...process.env, ROUTES: String(ROUTES), TOKEN, BACKEND: backend, PREFIX: prefix }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /ROUTES_DONE (\d+) ([\d.]+) (\d+)(.*)\n/.exec(out);
      if (!m) return;
      child.kill('SIGTERM');
      if (m[3] !== '0') console.log(`#   ${t.name}: ${m[3]} of ${m[1]} route adds did not answer 201 (${m[4].trim()})`);
      resolve(Number(m[2]));
    });
    child.once('exit', () => { if (!/ROUTES_DONE/.test(out)) reject(new Error(`wrk ended without finishing: ${out}`)); });
  });
}

/** Deletes /user/<prefix>1 … <prefix><count>, 10 at a time (missing ones answer 404 and are skipped). */
async function removeRoutes(t: Target, prefix: string, count: number): Promise<void> {
  let next = 1;
  const worker = async () => {
    while (next <= count) await api(t, 'DELETE', `/user/${prefix}${next++}`);
  };
  await Promise.all(Array.from({ length: 10 }, worker));
}

/** Median latency (ms) of GET /api/routes, one request at a time for 3 s, from wrk. */
async function listingLatencyWithWrk(t: Target): Promise<number> {
  const { stdout } = await run('/usr/bin/wrk', ['-t1', '-c1', '-d3s', '--latency', '-H', `Authorization: token ${TOKEN}`, `${t.apiUrl}/api/routes`], { maxBuffer: 1 << 20 });
  if (/Non-2xx or 3xx responses/.test(stdout)) throw new Error(`${t.name}: GET /api/routes failed under wrk`);
  return toMs(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '');
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Each round's figure over the mean of the direct rounds just before and after it (direct has one round more). */
const againstDirect = (xs: number[], direct: number[]) => xs.map((x, r) => x / ((direct[r] + direct[r + 1]) / 2));
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');

async function main(): Promise<void> {
  const cpu = os.cpus();
  console.log(`# bench/proxy on ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const bePort = await freeLoopbackPort();
  await start(process.execPath, [path.join(REPO, 'bench/proxy/backend.mjs'), String(bePort)], {}, (o) => o.includes('listening'));
  const backend = `http://127.0.0.1:${bePort}`;

  const [chpPort, chpApi, plPort, plApi, pipePort, barePort] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
  await start(process.execPath, [path.join(REPO, 'bench/proxy/pipe.mjs'), String(pipePort), String(bePort)], {}, (o) => o.includes('listening'));
  const proxyEnv = { CONFIGPROXY_AUTH_TOKEN: TOKEN };
  await start(process.execPath, [path.join(REPO, 'bench/proxy/bare-api.mjs'), String(barePort)], proxyEnv, (o) => o.includes('listening'));
  const bare: Target = { name: 'bare', url: '', apiUrl: `http://127.0.0.1:${barePort}` };
  const flags = (p: number, a: number) => ['--ip', '127.0.0.1', '--port', String(p), '--api-ip', '127.0.0.1', '--api-port', String(a), '--log-level', 'warn'];
  const chp = spawn('/usr/bin/configurable-http-proxy', flags(chpPort, chpApi), { env: { ...process.env, ...proxyEnv, NODE_PATH: '/usr/share/nodejs' }, stdio: 'ignore' });
  const plasma = spawn(process.execPath, [path.join(REPO, 'bin/plasma.mjs'), 'proxy', ...flags(plPort, plApi), '--routes-file', path.join(tmp, 'routes.json')],
    { env: { ...process.env, ...proxyEnv }, stdio: 'ignore' });
  children.push(chp, plasma);
  const targets: Target[] = [
    { name: 'direct', url: backend },
    { name: 'pipe', url: `http://127.0.0.1:${pipePort}` },
    { name: 'chp', url: `http://127.0.0.1:${chpPort}`, apiUrl: `http://127.0.0.1:${chpApi}`, pid: chp.pid },
    { name: 'plasma', url: `http://127.0.0.1:${plPort}`, apiUrl: `http://127.0.0.1:${plApi}`, pid: plasma.pid },
  ];
  const proxies = targets.filter((t) => t.apiUrl);
  for (const t of proxies) {
    await waitUp(`${t.apiUrl}/api/routes`);
    // The route the traffic takes, as JupyterHub would add it for a user's server.
    const added = await api(t, 'POST', '/user/bench', { user: 'bench', server_name: '', target: backend, jupyterhub: true });
    if (added.status !== 201) throw new Error(`${t.name}: adding a route gave ${added.status}`);
  }
  const path0 = '/user/bench/api/status';
  const results: Record<string, Record<string, number>> = { direct: {}, pipe: {}, chp: {}, plasma: {}, bare: {} };

  console.log('# small GETs (wrk -t1 -c50) …');
  for (const t of targets) await wrk(`${t.url}${path0}`, 2); // warm up JITs and pools
  // As for websockets below: each round is set against its neighbours (throughput against the direct rounds before
  // and after it, p99 against CHP's round just before), and the median of those paired ratios is reported too.
  const http_: Record<string, { rps: number; p99: number }[]> = { direct: [], pipe: [], chp: [], plasma: [] };
  for (let r = 0; r < ROUNDS; r++) for (const t of targets) http_[t.name].push(await wrk(`${t.url}${path0}`, SECONDS));
  http_.direct.push(await wrk(`${targets[0].url}${path0}`, SECONDS));
  for (const t of targets) {
    const own = t.name === 'direct' ? http_.direct.slice(0, ROUNDS) : http_[t.name];
    const mid = [...own].sort((a, b) => a.rps - b.rps)[Math.floor(own.length / 2)];
    results[t.name].rps = mid.rps;
    results[t.name].p99 = mid.p99;
    let paired = '';
    if (t.name !== 'direct') {
      const ratios = againstDirect(own.map((x) => x.rps), http_.direct.map((x) => x.rps));
      results[t.name].rpsRatio = median(ratios);
      paired = ` (× the direct rounds around each: ${ratios.map((x) => fmt(x, 2)).join(' | ')})`;
      if (t.name === 'plasma') {
        const p99s = own.map((x, r) => x.p99 / http_.chp[r].p99);
        results.plasma.p99Ratio = median(p99s);
        paired += ` (p99 × CHP's round before: ${p99s.map((x) => fmt(x, 2)).join(' | ')})`;
      }
    }
    console.log(`#   ${t.name}: ${http_[t.name].map((x) => `${fmt(x.rps)} req/s p99 ${fmt(x.p99, 1)} ms`).join(' | ')}${paired}`);
  }

  console.log('# websocket echo (50 sockets, 64-byte messages, 8 in flight on each) …');
  const wsUrl = (t: Target) => `${t.url.replace('http', 'ws')}${path0}/ws`;
  for (const t of targets) await wsEcho(wsUrl(t), 1);
  // The host's speed drifts (here, direct moved between 50k and 90k msg/s within minutes), so each contender's round
  // is compared with the direct rounds just before and after it, and the median of those paired ratios is reported.
  const ws_: Record<string, number[]> = { direct: [], pipe: [], chp: [], plasma: [] };
  for (let r = 0; r < ROUNDS; r++) for (const t of targets) ws_[t.name].push(await wsEcho(wsUrl(t), SECONDS));
  ws_.direct.push(await wsEcho(wsUrl(targets[0]), SECONDS));
  for (const t of targets) {
    results[t.name].ws = median(t.name === 'direct' ? ws_.direct.slice(0, ROUNDS) : ws_[t.name]);
    const paired = againstDirect(ws_[t.name], ws_.direct);
    if (t.name !== 'direct') results[t.name].wsRatio = median(paired);
    console.log(`#   ${t.name}: ${ws_[t.name].map((x) => fmt(x)).join(' | ')} msg/s${t.name === 'direct' ? '' : ` (× the direct rounds around each: ${paired.map((x) => fmt(x, 2)).join(' | ')})`}`);
  }

  console.log(`# ${ROUTES} route adds (wrk, 10 connections, like JupyterHub's 10 in flight), ${ROUNDS} timed bursts each, then GET /api/routes …`);
  const apiTargets = [bare, ...proxies];
  // A long-running proxy's API code is warm, and so is the client: a first burst of the same adds (other names) runs
  // and is removed again, so each timed burst adds 10,000 new routes to a warm API. Timed bursts go round by round
  // (bare, CHP, plasma, bare, …) so the host's drift hits all alike; each but the last is removed again, so every
  // burst starts from the same table and the listing below is measured at 10,000 routes.
  for (const t of apiTargets) {
    results[t.name].addRoutesFirst = await addRoutesWithWrk(t, backend, 'warm-w');
    await removeRoutes(t, 'warm-w', ROUTES + 20); // (a few more than ROUTES may have been in flight)
  }
  const adds: Record<string, number[]> = { bare: [], chp: [], plasma: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of apiTargets) {
      adds[t.name].push(await addRoutesWithWrk(t, backend, `bench-w${r}-`));
      if (r < ROUNDS - 1) await removeRoutes(t, `bench-w${r}-`, ROUTES + 20);
    }
  }
  for (const t of apiTargets) {
    results[t.name].addRoutes = median(adds[t.name]);
    let line = `#   ${t === bare ? 'bare node:http' : t.name}: first burst ${fmt(results[t.name].addRoutesFirst, 3)} s, timed bursts ${adds[t.name].map((x) => fmt(x, 3)).join(' | ')} s`;
    if (t !== bare) {
      // Each burst against the bare node:http API's burst of the same round.
      const paired = adds[t.name].map((x, r) => x / adds.bare[r]);
      results[t.name].addVsBare = median(paired);
      line += ` (× bare node:http's round: ${paired.map((x) => fmt(x, 2)).join(' | ')})`;
      const listing = await api(t, 'GET', '');
      if (Object.keys(JSON.parse(listing.body)).length < ROUTES) throw new Error(`${t.name}: routes missing`);
      // The listing's latency from wrk on one keep-alive connection (a C client, so the proxy is what is measured); a
      // Node client's own parsing of 1.5 MB is shown beside it.
      results[t.name].listRoutes = await listingLatencyWithWrk(t);
      const times: number[] = [];
      for (let i = 0; i < 33; i++) {
        const t1 = performance.now();
        await api(t, 'GET', '');
        if (i >= 3) times.push(performance.now() - t1);
      }
      line += `; listing median ${fmt(results[t.name].listRoutes, 2)} ms (wrk), ${fmt(median(times), 2)} ms (Node client, its parsing included)`;
    }
    console.log(line);
  }

  console.log(`# RSS: ${fmt(RSS_REQUESTS)} requests (CHP: ${fmt(CHP_RSS_REQUESTS)}) and ${fmt(WS_CONNS)} websockets opened and closed, per proxy …`);
  for (const t of proxies) {
    await new Promise((r) => setTimeout(r, 15_000));
    results[t.name].rssWarm = rssMb(t.pid!);
    let sent = 0;
    const goal = t.name === 'chp' ? CHP_RSS_REQUESTS : RSS_REQUESTS;
    const t0 = performance.now();
    while (sent < goal) {
      const slice = Math.max(1, Math.min(10, Math.ceil((goal - sent) / Math.max(1000, results[t.name].rps))));
      sent += (await wrk(`${t.url}${path0}`, slice)).requests;
    }
    const failed = await wsOpenClose(wsUrl(t), WS_CONNS);
    results[t.name].rssAfter = rssMb(t.pid!);
    await new Promise((r) => setTimeout(r, 15_000));
    results[t.name].rssIdle = rssMb(t.pid!);
    // V8 gives unused heap pages back on its own schedule: a minute shows where the process settles.
    await new Promise((r) => setTimeout(r, 45_000));
    results[t.name].rssIdle60 = rssMb(t.pid!);
    console.log(`#   ${t.name}: ${fmt(sent)} requests in ${fmt((performance.now() - t0) / 1000)} s, ${failed} websocket failures; RSS ${fmt(results[t.name].rssWarm, 1)} → ${fmt(results[t.name].rssAfter, 1)} → ${fmt(results[t.name].rssIdle, 1)} → ${fmt(results[t.name].rssIdle60, 1)} MB`);
  }

  const d = results.direct, b = results.pipe, c = results.chp, p = results.plasma, f = results.bare;
  const plasmaAddVsChp = median(adds.plasma.map((x, r) => x / adds.chp[r])); // round by round, as against bare
  const rows: [string, string, string, string, string, string, string, string][] = [
    ['small GET throughput (req/s; × direct paired by round)', fmt(d.rps), `${fmt(b.rps)} (${fmt(b.rpsRatio, 2)}×)`, `${fmt(c.rps)} (${fmt(c.rpsRatio, 2)}×)`, fmt(p.rps), `${fmt(p.rpsRatio, 2)}×`, `${fmt(p.rps / c.rps, 1)}×`, '≥ 0.4× direct'],
    ['small GET p99 (ms; × CHP paired by round)', fmt(d.p99, 2), fmt(b.p99, 2), fmt(c.p99, 2), fmt(p.p99, 2), `${fmt(p.p99 / d.p99, 1)}×`, `${fmt(p.p99Ratio, 2)}×`, '≤ 0.2× CHP'],
    ['websocket echo (msg/s; × direct paired by round)', fmt(d.ws), `${fmt(b.ws)} (${fmt(b.wsRatio, 2)}×)`, `${fmt(c.ws)} (${fmt(c.wsRatio, 2)}×)`, fmt(p.ws), `${fmt(p.wsRatio, 2)}×`, `${fmt(p.ws / c.ws, 1)}×`, '≥ 0.8× direct'],
    [`add ${fmt(ROUTES)} routes (s, median burst)`, '', `${fmt(f.addRoutes, 3)} (bare node:http)`, fmt(c.addRoutes, 3), `${fmt(p.addRoutes, 3)} (${fmt(p.addVsBare, 2)}× bare)`, '', `${fmt(plasmaAddVsChp, 2)}×`, '≤ 0.3 s'],
    [`GET /api/routes at ${fmt(ROUTES)} (ms, wrk median)`, '', '', fmt(c.listRoutes, 2), fmt(p.listRoutes, 2), '', `${fmt(p.listRoutes / c.listRoutes, 2)}×`, '≤ 3 ms'],
    ['RSS warm (MB)', '', '', fmt(c.rssWarm, 1), fmt(p.rssWarm, 1), '', '', ''],
    ['RSS after load (MB)', '', '', fmt(c.rssAfter, 1), fmt(p.rssAfter, 1), '', '', ''],
    ['RSS after 15 s idle (MB, × warm)', '', '', `${fmt(c.rssIdle, 1)} (${fmt(c.rssIdle / c.rssWarm, 2)}×)`, `${fmt(p.rssIdle, 1)} (${fmt(p.rssIdle / p.rssWarm, 2)}×)`, '', '', '≤ 1.1× warm'],
    ['RSS after 60 s idle (MB, × warm)', '', '', `${fmt(c.rssIdle60, 1)} (${fmt(c.rssIdle60 / c.rssWarm, 2)}×)`, `${fmt(p.rssIdle60, 1)} (${fmt(p.rssIdle60 / p.rssWarm, 2)}×)`, '', '', '≤ 1.1× warm'],
  ];
  const header: typeof rows[number] = ['metric', 'direct', 'Node reference: byte pipe; bare API', 'CHP 4.5.3', 'plasma', 'plasma/direct', 'plasma/CHP', 'target'];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log();
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

function cleanup(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  apiAgent.destroy();
  fs.rmSync(tmp, { recursive: true, force: true });
}

process.once('SIGINT', () => { cleanup(); process.exit(130); });
try {
  await main();
} finally {
  cleanup();
}
