/**
 * bench/hub: Plasma's hub next to the real JupyterHub 3.0 in one run, each measured direct to its own API (not
 * through a proxy) with 10 clients at a time. Plasma's hub runs compiled (dist/, `npm run build` first), as a
 * release does. Both spawn the real jupyterhub-singleuser as local processes. Prints figures and ratios.
 *
 *   npm run build && node --import tsx bench/hub/run.ts [--users 1000] [--large 10000] [--seconds 10]
 *     [--probe 5000] [--spawns 10]
 *
 * At 1,000 users: user creation, full paginated listings (limit 200), GET /users/{name}, tokens, spawns. The listing
 * and GET rates come from wrk (one thread, 10 connections), each twice: as sent, and with `Cache-Control: no-cache`,
 * which makes Plasma build every answer anew instead of reusing one made since the last write (JupyterHub builds
 * every answer either way). Tokens: the first 500 created and deleted after start (a Node client), then wrk creates
 * for --seconds and a Node client deletes every one of them. Then a bulk POST /users of --probe names while a second
 * client probes GET /users/{name} (does the hub stall?), the rest up to --large users, full listings and the hub's
 * RSS there. `--large 0` skips that part.
 * Wall-clock rates move with whatever else the machine runs, so each one also gives the hub's own CPU time per
 * request (from /proc), which is steadier. Not a test: nothing here asserts a time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startJupyterHubBehindChp } from '../../test/helpers/jupyterhub.ts';
import { BIN, REPO_ROOT, Stack, waitFor } from '../../test/helpers/stack.ts';
import { call, commandSeconds, CONCURRENCY, cpuSeconds, createUsers, expectOk, fullListing, PAGINATED, rate, rssMb, stallProbe, wrkRate, type Target } from './measure.ts';
import { benchArgs } from '../args.ts';

const values = benchArgs(import.meta.url, {
    users: { type: 'string', default: '1000' }, large: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '10' },
    probe: { type: 'string', default: '5000' }, spawns: { type: 'string', default: '10' },
  });
const USERS = Number(values.users);
const LARGE = Number(values.large);
const WARMUP_TOKENS = 500;
const SECONDS = Number(values.seconds);
const PROBE = LARGE ? Math.min(Number(values.probe), LARGE - USERS) : 0;
const SPAWNS = Number(values.spawns);

const name = (i: number) => `pb-${String(i).padStart(6, '0')}`;
const names = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => name(from + i));

/** The machine's busy CPU time so far (all cores), from /proc/stat. */
function machineBusySeconds(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100; // user nice system irq softirq steal
}

/**
 * Starts every server at once and waits until the hub says each is ready. Beside the wall time: the hub's own CPU
 * for it, and the whole machine's (mostly the servers' Python start-up, the same for both hubs: the floor).
 */
async function spawnAll(t: Target, who: string[]) {
  const t0 = performance.now();
  const hub0 = cpuSeconds(t.pid);
  const busy0 = machineBusySeconds();
  await Promise.all(who.map(async (n) => {
    const r = await call(t, 'POST', `/users/${n}/server`);
    if (r.status !== 201 && r.status !== 202) throw new Error(`${t.name} spawn ${n} → ${r.status} ${r.text}`);
    await waitFor(async () => JSON.parse((await call(t, 'GET', `/users/${n}`)).text).servers?.['']?.ready === true, 120_000, `${n} ready`);
  }));
  return { seconds: (performance.now() - t0) / 1000, hubCpu: cpuSeconds(t.pid) - hub0, machineCpu: machineBusySeconds() - busy0 };
}

async function stopAll(t: Target, who: string[]) {
  await Promise.all(who.map((n) => call(t, 'DELETE', `/users/${n}/server`)));
  for (const n of who) await waitFor(async () => JSON.parse((await call(t, 'GET', `/users/${n}`)).text).servers?.[''] === undefined, 60_000, `${n} stopped`);
}

/** One full listing at a time from a Node client (the latency an admin's script sees), median of `count`. */
async function oneListing(t: Target, count: number, expected: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const seen = await fullListing(t);
    if (seen < expected) throw new Error(`${t.name}: a full listing saw ${seen} users, expected at least ${expected}`);
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(count / 2)];
}

/**
 * Full listings as rates: wrk GETs every page (limit 200) in turn at CONCURRENCY; listings/s = pages/s ÷ pages.
 * `fresh` sends Cache-Control: no-cache (Plasma then builds every page anew; JupyterHub always does).
 */
async function listings(t: Target, users: number, fresh: boolean) {
  const pages = Array.from({ length: Math.ceil(users / 200) }, (_, k) => `/users?limit=200&offset=${k * 200}`);
  const r = await wrkRate(t, pages, SECONDS, { accept: PAGINATED, cacheControl: fresh ? 'no-cache' : undefined });
  return { ...r, rps: r.rps / pages.length, cpuMs: r.cpuMs * pages.length };
}

async function gets(t: Target, users: number, fresh: boolean) {
  const paths = Array.from({ length: Math.min(users, 2000) }, (_, i) => `/users/${name((i * 7919) % users)}`);
  return wrkRate(t, paths, SECONDS, { cacheControl: fresh ? 'no-cache' : undefined });
}

async function measure(t: Target) {
  const say = (what: string) => console.error(`# ${t.name}: ${what}`);
  say(`creating ${USERS} users`);
  const create = await createUsers(t, names(0, USERS));
  say('listing');
  const listOne = await oneListing(t, 5, USERS);
  const list = await listings(t, USERS, false);
  const listFresh = await listings(t, USERS, true);
  say('GET /users/{name}');
  const one = await gets(t, USERS, false);
  const oneFresh = await gets(t, USERS, true);
  say('tokens');
  const owners = names(0, 10);
  const deleteAll = (ids: Array<[string, string]>) => rate(ids.length, async (i) => {
    await expectOk(t, 'DELETE', `/users/${ids[i][0]}/tokens/${ids[i][1]}`);
  }, t.pid);
  // The first requests of a route after start run before V8 has compiled it (Plasma's first 500 token creates: about
  // half the rate of the next); a hub serves for months, so the rates are taken after a warm-up, for both hubs.
  const coldIds: Array<[string, string]> = [];
  const coldCreated = await rate(WARMUP_TOKENS, async (i) => {
    coldIds[i] = [owners[i % 10], JSON.parse(await expectOk(t, 'POST', `/users/${owners[i % 10]}/tokens`, { note: 'bench' })).id];
  }, t.pid);
  const tokenCold = { created: coldCreated, deleted: await deleteAll(coldIds) };
  // Then wrk creates for --seconds: at over a thousand a second a Node client spent more CPU per request than Plasma's
  // hub did, and was the limit. They are deleted by id afterwards (all of them, so the hub is as it was).
  const tokenCreate = await wrkRate(t, owners.map((o) => `/users/${o}/tokens`), SECONDS, { method: 'POST', body: '{"note":"bench"}' });
  const made: Array<[string, string]> = [];
  for (const o of owners) {
    for (const tk of JSON.parse(await expectOk(t, 'GET', `/users/${o}/tokens`)).api_tokens) if (tk.note === 'bench') made.push([o, tk.id]);
  }
  if (made.length < tokenCreate.requests) throw new Error(`${t.name}: ${tokenCreate.requests} tokens created, ${made.length} listed`);
  const tokenDelete = await deleteAll(made);
  let spawnMany = { seconds: NaN, hubCpu: NaN, machineCpu: NaN };
  if (SPAWNS) {
    say(`${SPAWNS} spawns`);
    spawnMany = await spawnAll(t, names(1, 1 + SPAWNS));
    await stopAll(t, names(1, 1 + SPAWNS));
  }
  const rssSmall = rssMb(t.pid);
  const small = { create, listOne, list, listFresh, one, oneFresh, tokenCold, tokenCreate, tokenDelete, spawnMany, rssSmall };
  if (!LARGE) return small;
  say(`bulk POST of ${PROBE} users with a GET /users/{name} probe`);
  const probe = await stallProbe(t, name(0), names(USERS, USERS + PROBE));
  say(`up to ${LARGE} users`);
  await createUsers(t, names(USERS + PROBE, LARGE));
  say(`listing ${LARGE} users`);
  const listOneLarge = await oneListing(t, 3, LARGE);
  const listLarge = await listings(t, LARGE, false);
  const listLargeFresh = await listings(t, LARGE, true);
  const oneLarge = await gets(t, LARGE, false);
  const oneLargeFresh = await gets(t, LARGE, true);
  const rssLarge = rssMb(t.pid);
  // Then quiet: what stays resident once a burst is over. Plasma's idle collector gives memory back about 12 s after
  // the last request (src/system/idle-gc.ts), so one sample then lands before or after it by chance: 25 samples a
  // second apart, and the median of the last five.
  const samples: number[] = [];
  for (let i = 0; i < 25; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(rssMb(t.pid));
  }
  const rssLargeIdle = samples.slice(-5).sort((x, y) => x - y)[2];
  return { ...small, probe, listOneLarge, listLarge, listLargeFresh, oneLarge, oneLargeFresh, rssLarge, rssLargeIdle };
}

function table(a: Awaited<ReturnType<typeof measure>>, b: Awaited<ReturnType<typeof measure>>, help: { node: number; plasma: number; jupyterhub: number }) {
  const row = (what: string, p: number, j: number, unit: string, higherIsBetter: boolean) =>
    console.log(`${what.padEnd(52)} ${p.toFixed(2).padStart(10)} ${j.toFixed(2).padStart(12)} ${unit.padEnd(10)} ${(p / j).toFixed(2).padStart(7)}× ${higherIsBetter ? '(higher is better)' : '(lower is better)'}`);
  console.log(`${'measure'.padEnd(52)} ${'Plasma'.padStart(10)} ${'JupyterHub'.padStart(12)} ${'unit'.padEnd(10)}   ratio`);
  row(`create ${USERS} users (POST /users)`, a.create, b.create, 's', false);
  row(`full listing, limit 200, ${USERS} users`, a.list.rps, b.list.rps, 'listings/s', true);
  row('  hub CPU per full listing', a.list.cpuMs, b.list.cpuMs, 'ms', false);
  row('  the same, Cache-Control: no-cache', a.listFresh.rps, b.listFresh.rps, 'listings/s', true);
  row('  hub CPU per full listing, no-cache', a.listFresh.cpuMs, b.listFresh.cpuMs, 'ms', false);
  row(`  one full listing alone (median), ${USERS} users`, a.listOne, b.listOne, 's', false);
  row(`GET /users/{name}, ${USERS} users`, a.one.rps, b.one.rps, 'req/s', true);
  row(`  GET /users/{name} p99`, a.one.p99, b.one.p99, 'ms', false);
  row('  hub CPU per GET /users/{name}', a.one.cpuMs, b.one.cpuMs, 'ms', false);
  row('  the same, Cache-Control: no-cache', a.oneFresh.rps, b.oneFresh.rps, 'req/s', true);
  row('  hub CPU per GET, no-cache', a.oneFresh.cpuMs, b.oneFresh.cpuMs, 'ms', false);
  row(`token create, the first ${WARMUP_TOKENS} after start`, a.tokenCold.created.rps, b.tokenCold.created.rps, 'req/s', true);
  row(`token delete, the first ${WARMUP_TOKENS} after start`, a.tokenCold.deleted.rps, b.tokenCold.deleted.rps, 'req/s', true);
  row('token create (POST /users/{name}/tokens)', a.tokenCreate.rps, b.tokenCreate.rps, 'req/s', true);
  row('  hub CPU per token create', a.tokenCreate.cpuMs, b.tokenCreate.cpuMs, 'ms', false);
  row('token delete (DELETE /users/{name}/tokens/{id})', a.tokenDelete.rps, b.tokenDelete.rps, 'req/s', true);
  row('  hub CPU per token delete', a.tokenDelete.cpuMs, b.tokenDelete.cpuMs, 'ms', false);
  if (SPAWNS) {
    row(`${SPAWNS} local spawns at once, all ready`, a.spawnMany.seconds, b.spawnMany.seconds, 's', false);
    row('  hub CPU for them', a.spawnMany.hubCpu, b.spawnMany.hubCpu, 's', false);
    row('  the whole machine\'s CPU meanwhile', a.spawnMany.machineCpu, b.spawnMany.machineCpu, 's', false);
  }
  row(`hub RSS, ${USERS} users, just after the tokens and spawns`, a.rssSmall, b.rssSmall, 'MB', false);
  if ('probe' in a && 'probe' in b) {
    row(`bulk POST /users of ${PROBE} names`, a.probe.bulkSeconds, b.probe.bulkSeconds, 's', false);
    row('  GET /users/{name} meanwhile: p50', a.probe.p50, b.probe.p50, 'ms', false);
    row('  GET /users/{name} meanwhile: max', a.probe.max, b.probe.max, 'ms', false);
    row('  GET /users/{name} idle: p50', a.probe.idleP50, b.probe.idleP50, 'ms', false);
    row(`full listing, limit 200, ${LARGE} users`, a.listLarge.rps, b.listLarge.rps, 'listings/s', true);
    row('  hub CPU per full listing', a.listLarge.cpuMs, b.listLarge.cpuMs, 'ms', false);
    row('  the same, Cache-Control: no-cache', a.listLargeFresh.rps, b.listLargeFresh.rps, 'listings/s', true);
    row('  hub CPU per full listing, no-cache', a.listLargeFresh.cpuMs, b.listLargeFresh.cpuMs, 'ms', false);
    row(`  one full listing alone (median), ${LARGE} users`, a.listOneLarge, b.listOneLarge, 's', false);
    row(`GET /users/{name}, ${LARGE} users`, a.oneLarge.rps, b.oneLarge.rps, 'req/s', true);
    row('  hub CPU per GET /users/{name}', a.oneLarge.cpuMs, b.oneLarge.cpuMs, 'ms', false);
    row('  the same, Cache-Control: no-cache', a.oneLargeFresh.rps, b.oneLargeFresh.rps, 'req/s', true);
    row('  hub CPU per GET, no-cache', a.oneLargeFresh.cpuMs, b.oneLargeFresh.cpuMs, 'ms', false);
    row(`hub RSS, ${LARGE} users, just after the load`, a.rssLarge, b.rssLarge, 'MB', false);
    row(`hub RSS, ${LARGE} users, at rest (20-25 s after)`, a.rssLargeIdle, b.rssLargeIdle, 'MB', false);
  }
  row('`plasma --help` (compiled) vs `jupyterhub --help`', help.plasma, help.jupyterhub, 's', false);
  console.log(`# \`node -e ''\` alone takes ${help.node.toFixed(2)} s here now: \`plasma --help\` adds ${(help.plasma - help.node).toFixed(2)} s to Node's own start`);
}

async function main() {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'plasma.mjs'))) throw new Error('run `npm run build` first: the bench runs the compiled hub');
  process.env.PLASMA_COMPILED = '1';
  const help = {
    node: commandSeconds(process.execPath, ['-e', ''], process.env),
    plasma: commandSeconds(process.execPath, [BIN, '--help'], { ...process.env, PLASMA_COMPILED: '1' }),
    jupyterhub: commandSeconds('/usr/bin/python3', ['/usr/bin/jupyterhub', '--help'], process.env, 5),
  };
  const stack = new Stack({ proxy: 'chp', config: { log_level: 'warn', culler: { enabled: false }, monitoring: { enabled: false } } });
  let jh: Awaited<ReturnType<typeof startJupyterHubBehindChp>> | null = null;
  try {
    await stack.start();
    jh = await startJupyterHubBehindChp({ password: 'bench-pass' });
    const plasma: Target = { name: 'Plasma', api: `${stack.hubUrl}/hub/api`, token: stack.adminToken, pid: stack.hub!.pid! };
    const jupyterhub: Target = { name: 'JupyterHub 3.0', api: `http://127.0.0.1:${jh.hub.hubPort}/hub/api`, token: jh.hub.adminToken, pid: jh.hub.child!.pid! };
    console.log(`# load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${os.cpus().length} cores; concurrency ${CONCURRENCY}; direct to each hub's API; ${USERS} users, then up to ${LARGE || 'no more'}; `
      + `wrk for ${SECONDS} s per listing, GET and token-create rate`);
    const a = await measure(plasma);
    const b = await measure(jupyterhub);
    table(a, b, help);
    // Other work on the machine moves every figure: say how busy it was.
    console.log(`# load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await jh?.stop();
    await stack.stop();
  }
}

await main();
