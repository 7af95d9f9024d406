/**
 * bench/servers: the server life cycle at scale, with figures from one run.
 *  A. Hub restart (SIGTERM, then a new hub answering its API) with --users users and --running running servers, while a
 *     client keeps sending requests to every running server through the proxy: stop, start and total times, and
 *     how many of those requests failed. The hub runs the compiled release (dist/, `npm run build`), as installed.
 *     The running servers are a 10-line Python HTTP server (answers 200 on any path) unless --real: what is measured
 *     is the hub, and 100 real jupyterhub-singleuser processes would mostly measure the machine.
 *  B. --spawns local servers (the real jupyterhub-singleuser) started at once until every progress stream says ready,
 *     Plasma next to JupyterHub 3.0 (Debian), both behind configurable-http-proxy 4.5.3, --rounds rounds alternating.
 *
 *  C. A class start: --class real local servers started in the same second, with spawner.concurrent_spawn_limit 10 and
 *     with no limit: until all are ready, the median and the slowest start, and the hub's answer time to a probe
 *     (GET /hub/api/users/{name}, every 50 ms) meanwhile.
 *
 *   npm run build && node --import tsx bench/servers/run.ts [--users 10000] [--running 100] [--spawns 10] [--rounds 3]
 *     [--class 50] [--skip restart,spawns,class]
 *
 * Not a test: nothing here asserts a time.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { startJupyterHubBehindChp } from '../../test/helpers/jupyterhub.ts';
import { keepRequesting } from '../../test/helpers/load.ts';
import { BIN, Stack, waitFor } from '../../test/helpers/stack.ts';
import { hubProcess } from '../../src/system/runtime.ts';
import { benchArgs } from '../args.ts';

const values = benchArgs(import.meta.url, {
  users: { type: 'string', default: '10000' }, running: { type: 'string', default: '100' }, spawns: { type: 'string', default: '10' },
  rounds: { type: 'string', default: '3' }, class: { type: 'string', default: '50' }, real: { type: 'boolean', default: false }, skip: { type: 'string', default: '' },
});
const USERS = Number(values.users);
const RUNNING = Number(values.running);
const SPAWNS = Number(values.spawns);
const ROUNDS = Number(values.rounds);
const skip = new Set(values.skip.split(',').filter(Boolean));

const TINY_SERVER = [
  'import http.server, os, re',
  "port = int(re.search(r':(\\d+)/', os.environ['JUPYTERHUB_SERVICE_URL']).group(1))",
  'class Handler(http.server.BaseHTTPRequestHandler):',
  "    def do_GET(self):",
  "        self.send_response(200); self.send_header('Content-Length', '2'); self.end_headers(); self.wfile.write(b'ok')",
  '    def log_message(self, *args): pass',
  "http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()",
].join('\n');

const ms = (x: number) => `${x.toFixed(0)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Progress streams of `names`, read to their last event; resolves when all are ready, with the time it took. */
async function startAll(api: string, token: string, names: string[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(names.map(async (name) => {
    const headers = { Authorization: `token ${token}` };
    const r = await fetch(`${api}/users/${name}/server`, { method: 'POST', headers });
    if (r.status !== 201 && r.status !== 202) throw new Error(`start ${name} → ${r.status} ${await r.text()}`);
    const progress = await fetch(`${api}/users/${name}/server/progress`, { headers, signal: AbortSignal.timeout(300_000) });
    const events = (await progress.text()).split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    if (!events.at(-1)?.ready) throw new Error(`${name}: ${JSON.stringify(events.at(-1))}`);
  }));
  return performance.now() - t0;
}

async function stopAll(api: string, token: string, names: string[]): Promise<void> {
  const headers = { Authorization: `token ${token}` };
  await Promise.all(names.map((n) => fetch(`${api}/users/${n}/server`, { method: 'DELETE', headers }).then((r) => r.arrayBuffer())));
  for (const n of names) {
    await waitFor(async () => (await (await fetch(`${api}/users/${n}`, { headers })).json() as any).servers?.[''] === undefined, 60_000, `${n} stopped`);
  }
}

/**
 * `plasma restart hub` and upgrades: SIGUSR2 makes the hub start its successor, which loads while the old one serves
 * and then takes the listening socket over. A client asks GET /hub/api without pause over keep-alive; the longest
 * answer time is how long the API was away (new connections wait in the socket's backlog). A request that fails
 * is counted and sent again at once (a keep-alive connection the old hub closes just as the next request leaves).
 */
async function handOver(stack: Stack): Promise<{ gap: number; failed: number; sent: number }> {
  let longest = 0;
  let failed = 0;
  let sent = 0;
  let done = false;
  const probe = (async () => {
    let since = performance.now();
    while (!done) {
      sent++;
      try {
        const r = await fetch(`${stack.hubUrl}/hub/api`, { signal: AbortSignal.timeout(30_000) });
        await r.arrayBuffer();
        if (!r.ok) throw new Error(`GET /hub/api → ${r.status}`);
        longest = Math.max(longest, performance.now() - since);
        since = performance.now();
      } catch {
        failed++;
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  await stack.handOverHub();
  await new Promise((r) => setTimeout(r, 500));
  done = true;
  await probe;
  return { gap: longest, failed, sent };
}

async function restartAtScale(): Promise<void> {
  process.env.PLASMA_COMPILED = '1';
  if (!fs.existsSync(new URL('../../dist/plasma.mjs', import.meta.url))) throw new Error('run npm run build first: the bench measures the compiled release');
  const cmd = values.real ? undefined : ['/usr/bin/python3', '-c', TINY_SERVER];
  const stack = new Stack({ config: { log_level: 'warn', culler: { enabled: false }, spawner: cmd ? { local: { cmd } } : {} } });
  try {
    await stack.start();
    const names = Array.from({ length: USERS }, (_, i) => `pb-u${i}`);
    for (let i = 0; i < names.length; i += 500) {
      const r = await stack.api('POST', '/users', { json: { usernames: names.slice(i, i + 500) } });
      if (r.status !== 201) throw new Error(`creating users → ${r.status} ${r.text}`);
    }
    const running = names.slice(0, RUNNING);
    const startSeconds = await startAll(stack.apiUrl, stack.adminToken, running);
    console.log(`# A. ${USERS} users, ${RUNNING} running ${values.real ? 'jupyterhub-singleuser' : 'tiny Python'} servers (started in ${ms(startSeconds)}), Plasma proxy, compiled hub; ${os.cpus().length} cores`);
    const client = keepRequesting(running.map((u) => ({ url: `${stack.publicUrl}/user/${u}/api/status`, headers: { Authorization: `token ${stack.adminToken}` } })), 50);
    await new Promise((r) => setTimeout(r, 1000));
    const rows: Array<{ stop: number; start: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const old = stack.hub!;
      const t0 = performance.now();
      const gone = new Promise((r) => old.once('exit', r));
      old.kill('SIGTERM');
      await gone;
      const t1 = performance.now();
      const logs = fs.openSync(stack.hubLog, 'a');
      const launch = hubProcess(BIN, stack.env);
      const hub = spawn(process.execPath, launch.args, { env: launch.env, stdio: ['ignore', logs, logs] });
      fs.closeSync(logs);
      stack.hub = hub;
      for (;;) {
        if (hub.exitCode !== null) throw new Error(`the hub exited: ${fs.readFileSync(stack.hubLog, 'utf8').slice(-2000)}`);
        try {
          if ((await fetch(`${stack.hubUrl}/hub/api`)).ok) break;
        } catch { /* not yet */ }
        await new Promise((r) => setTimeout(r, 5));
      }
      rows.push({ stop: t1 - t0, start: performance.now() - t1 });
      await new Promise((r) => setTimeout(r, 1500));
    }
    const handovers: Array<{ gap: number; failed: number; sent: number }> = [];
    for (let round = 0; round < ROUNDS; round++) handovers.push(await handOver(stack));
    const gaps = handovers.map((h) => h.gap);
    const { all, failed } = await client.stop();
    const model = (await stack.api('GET', `/users/${running[0]}`)).data;
    if (model.servers['']?.ready !== true) throw new Error('the first server is not shown ready after the restarts');
    console.log(`${'hub restart (SIGTERM → API answers)'.padEnd(40)} stop ${ms(median(rows.map((r) => r.stop)))}, start ${ms(median(rows.map((r) => r.start)))}, total ${ms(median(rows.map((r) => r.stop + r.start)))} (median of ${ROUNDS}; each: ${rows.map((r) => ms(r.stop + r.start)).join(', ')})`);
    console.log(`${'hub hand-over (SIGUSR2, plasma restart)'.padEnd(40)} API away ${ms(median(gaps))} (longest wait for an answer, probing without pause; median of ${ROUNDS}; each: ${gaps.map(ms).join(', ')}); `
      + `${handovers.reduce((n, h) => n + h.failed, 0)} of ${handovers.reduce((n, h) => n + h.sent, 0)} probes failed`);
    console.log(`${'requests to the servers meanwhile'.padEnd(40)} ${all.length} sent, ${failed.length} failed${failed.length ? `: ${JSON.stringify(failed.slice(0, 3))}` : ''}`);
    await stopAll(stack.apiUrl, stack.adminToken, running);
  } finally {
    await stack.stop();
    delete process.env.PLASMA_COMPILED;
  }
}

async function spawnsAgainstJupyterHub(): Promise<void> {
  const stack = new Stack({ proxy: 'chp', config: { log_level: 'warn', culler: { enabled: false } } });
  let jh: Awaited<ReturnType<typeof startJupyterHubBehindChp>> | null = null;
  try {
    process.env.PLASMA_COMPILED = '1';
    await stack.start();
    jh = await startJupyterHubBehindChp({ password: 'bench-pass' });
    const names = Array.from({ length: SPAWNS }, (_, i) => `pb-s${i}`);
    const jhApi = `${jh.hub.publicUrl}/hub/api`;
    await stack.api('POST', '/users', { json: { usernames: names } });
    await jh.hub.api('POST', '/users', { usernames: names });
    const plasma: number[] = [];
    const jupyterhub: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      plasma.push(await startAll(stack.apiUrl, stack.adminToken, names));
      await stopAll(stack.apiUrl, stack.adminToken, names);
      jupyterhub.push(await startAll(jhApi, jh.hub.adminToken, names));
      await stopAll(jhApi, jh.hub.adminToken, names);
    }
    console.log(`# B. ${SPAWNS} local jupyterhub-singleuser servers started at once, until every progress stream says ready; both behind CHP 4.5.3`);
    console.log(`${'measure'.padEnd(40)}${'Plasma'.padStart(10)}${'JupyterHub 3.0'.padStart(16)}  ratio`);
    console.log(`${`${SPAWNS} spawns at once, all ready (median)`.padEnd(40)}${ms(median(plasma)).padStart(10)}${ms(median(jupyterhub)).padStart(16)}  ${(median(plasma) / median(jupyterhub)).toFixed(2)}×`);
    console.log(`  each round (s): Plasma ${plasma.map((x) => (x / 1000).toFixed(2)).join(', ')}; JupyterHub ${jupyterhub.map((x) => (x / 1000).toFixed(2)).join(', ')}`);
  } finally {
    await jh?.stop();
    await stack.stop();
    delete process.env.PLASMA_COMPILED;
  }
}

async function classStart(limit: number): Promise<void> {
  const stack = new Stack({ config: { log_level: 'warn', culler: { enabled: false }, spawner: { concurrent_spawn_limit: limit, start_timeout: 600, http_timeout: 600 } } });
  try {
    process.env.PLASMA_COMPILED = '1';
    await stack.start();
    const names = Array.from({ length: Number(values.class) }, (_, i) => `pb-c${i}`);
    await stack.api('POST', '/users', { json: { usernames: names } });
    const probes: number[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const t0 = performance.now();
        await (await fetch(`${stack.hubUrl}/hub/api/users/${names[0]}`, { headers: { Authorization: `token ${stack.adminToken}` } })).arrayBuffer();
        probes.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const each: number[] = [];
    const t0 = performance.now();
    await Promise.all(names.map(async (n) => each.push(await startAll(stack.apiUrl, stack.adminToken, [n]))));
    const all = performance.now() - t0;
    probing = false;
    await probe;
    probes.sort((a, b) => a - b);
    console.log(`${`limit ${limit || 'none'}`.padEnd(12)} all ready ${ms(all)}, median start ${ms(median(each))}, slowest ${ms(Math.max(...each))}; hub probe p50 ${ms(median(probes))}, p99 ${ms(probes[Math.floor(probes.length * 0.99)])}, max ${ms(probes.at(-1)!)} (${probes.length} probes)`);
    await stopAll(stack.apiUrl, stack.adminToken, names);
  } finally {
    await stack.stop();
    delete process.env.PLASMA_COMPILED;
  }
}

if (!skip.has('restart')) await restartAtScale();
if (!skip.has('spawns')) await spawnsAgainstJupyterHub();
if (!skip.has('class')) {
  console.log(`# C. a class of ${values.class} starting real local servers in the same second; ${os.cpus().length} cores`);
  for (const limit of [10, 0]) await classStart(limit);
}
