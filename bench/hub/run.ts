/**
 * bench/hub: Plasma's hub next to the real JupyterHub 3.0 in one run, both behind configurable-http-proxy 4.5.3,
 * both spawning the real jupyterhub-singleuser as local processes. Prints figures and Plasma/JupyterHub ratios.
 *
 *   node --import tsx bench/hub/run.ts [--users 200] [--requests 2000] [--spawns 10]
 *
 * Not a test: nothing here asserts a time.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startJupyterHubBehindChp } from '../../test/helpers/jupyterhub.ts';
import { Stack, waitFor } from '../../test/helpers/stack.ts';

const { values } = parseArgs({ options: { users: { type: 'string', default: '200' }, requests: { type: 'string', default: '2000' }, spawns: { type: 'string', default: '10' } } });
const USERS = Number(values.users);
const REQUESTS = Number(values.requests);
const SPAWNS = Number(values.spawns);
const CONCURRENCY = 10;

interface Target { name: string; api: string; token: string; }

async function call(t: Target, method: string, url: string, body?: unknown) {
  const res = await fetch(`${t.api}${url}`, {
    method, headers: { Authorization: `token ${t.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, text };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function load(t: Target, url: string, total: number) {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < total) {
      next++;
      const t0 = performance.now();
      const r = await call(t, 'GET', url);
      if (r.status !== 200) throw new Error(`${t.name} ${url} → ${r.status}`);
      times.push(performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return { rps: total / seconds, p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function spawnAll(t: Target, names: string[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(names.map(async (n) => {
    const r = await call(t, 'POST', `/users/${n}/server`);
    if (r.status !== 201 && r.status !== 202) throw new Error(`${t.name} spawn ${n} → ${r.status} ${r.text}`);
    await waitFor(async () => JSON.parse((await call(t, 'GET', `/users/${n}`)).text).servers?.['']?.ready === true, 120_000, `${n} ready`);
  }));
  return (performance.now() - t0) / 1000;
}

async function stopAll(t: Target, names: string[]) {
  await Promise.all(names.map((n) => call(t, 'DELETE', `/users/${n}/server`)));
  for (const n of names) await waitFor(async () => JSON.parse((await call(t, 'GET', `/users/${n}`)).text).servers?.[''] === undefined, 60_000, `${n} stopped`);
}

async function measure(t: Target, prefix: string) {
  const names = Array.from({ length: USERS }, (_, i) => `${prefix}${i}`);
  const c0 = performance.now();
  const created = await call(t, 'POST', '/users', { usernames: names });
  if (created.status !== 201) throw new Error(`${t.name} create users → ${created.status} ${created.text}`);
  const createSeconds = (performance.now() - c0) / 1000;
  await load(t, '/users?limit=200', 50); // warm-up
  const list = await load(t, '/users?limit=200', Math.max(50, REQUESTS / 10));
  const one = await load(t, `/users/${names[0]}`, REQUESTS);
  const spawnOne = await spawnAll(t, [names[0]]);
  await stopAll(t, [names[0]]);
  const spawnMany = await spawnAll(t, names.slice(1, 1 + SPAWNS));
  await stopAll(t, names.slice(1, 1 + SPAWNS));
  return { createSeconds, list, one, spawnOne, spawnMany };
}

/** JupyterHub 3.0 behind its own CHP 4.5.3, as Plasma runs behind its own: the test suite's helper. */
async function startJupyterHub(): Promise<{ target: Target; stop: () => Promise<void> }> {
  const jh = await startJupyterHubBehindChp({ password: 'bench-pass' });
  return { target: { name: 'JupyterHub 3.0', api: `${jh.hub.publicUrl}/hub/api`, token: jh.hub.adminToken }, stop: jh.stop };
}

async function main() {
  const stack = new Stack({ proxy: 'chp', config: { log_level: 'warn', culler: { enabled: false } } });
  let jh: Awaited<ReturnType<typeof startJupyterHub>> | null = null;
  try {
    await stack.start();
    const plasma: Target = { name: 'Plasma', api: stack.apiUrl, token: stack.adminToken };
    jh = await startJupyterHub();
    console.log(`# ${USERS} users, ${REQUESTS} GETs at concurrency ${CONCURRENCY}, ${SPAWNS} concurrent spawns; ${os.cpus().length} cores; both behind CHP 4.5.3`);
    const a = await measure(plasma, 'pb-p');
    const b = await measure(jh.target, 'pb-j');
    const row = (what: string, p: number, j: number, unit: string, higherIsBetter: boolean) =>
      console.log(`${what.padEnd(38)} ${p.toFixed(2).padStart(10)} ${j.toFixed(2).padStart(12)} ${unit.padEnd(6)} ${(p / j).toFixed(2).padStart(6)}× ${higherIsBetter ? '(higher is better)' : '(lower is better)'}`);
    console.log(`${'measure'.padEnd(38)} ${'Plasma'.padStart(10)} ${'JupyterHub'.padStart(12)} unit    ratio`);
    row(`create ${USERS} users (one POST /users)`, a.createSeconds * 1000, b.createSeconds * 1000, 'ms', false);
    row('GET /users/{name} throughput', a.one.rps, b.one.rps, 'req/s', true);
    row('GET /users/{name} p99', a.one.p99, b.one.p99, 'ms', false);
    row(`GET /users?limit=200 throughput`, a.list.rps, b.list.rps, 'req/s', true);
    row(`GET /users?limit=200 p99`, a.list.p99, b.list.p99, 'ms', false);
    row('spawn 1 server to ready', a.spawnOne * 1000, b.spawnOne * 1000, 'ms', false);
    row(`spawn ${SPAWNS} servers at once to all ready`, a.spawnMany * 1000, b.spawnMany * 1000, 'ms', false);
  } finally {
    await jh?.stop();
    await stack.stop();
  }
}

await main();
