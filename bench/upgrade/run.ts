/**
 * bench/upgrade: `plasma upgrade` at scale (10,000 users, 50 running servers) next to JupyterHub 3.0's own
 * restart in its default set-up (it runs configurable-http-proxy itself), in the same run. Probes through each
 * proxy: the hub API every 20 ms, and every server's API in turn. Not a test: it prints figures and ratios.
 * The new release is packed first (npm pack builds it, as a release is built once and then downloaded), and the
 * upgrade is timed from that tarball; the pack's time is printed apart.
 *
 *   node --import tsx bench/upgrade/run.ts [--users 10000] [--servers 50]
 */
import fs from 'node:fs';
import path from 'node:path';
import { packageTarball } from '../../src/ops/releases.ts';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { Installation } from '../../test/helpers/installation.ts';
import { RealJupyterHub } from '../../test/helpers/jupyterhub.ts';
import { sourceTree } from '../../test/helpers/releases.ts';
import { REPO_ROOT } from '../../test/helpers/stack.ts';
import { benchArgs } from '../args.ts';

const values = benchArgs(import.meta.url, { users: { type: 'string', default: '10000' }, servers: { type: 'string', default: '50' } });
const USERS = Number(values.users);
const SERVERS = Number(values.servers);
const names = Array.from({ length: USERS }, (_, i) => `pt-up${String(i).padStart(5, '0')}`);
const running = names.slice(0, SERVERS);

interface Probe { stop(): void; done: Promise<void>; ok: number; failed: number; gapMs: number; why: string[]; slow: string[] }

/** Requests `url()` in a loop; the gap is the longest time between two answered requests. */
function probe(url: () => string, token: string, everyMs: number): Probe {
  const p = { ok: 0, failed: 0, gapMs: 0, running: true, why: [], slow: [] } as unknown as Probe & { running: boolean };
  let lastOk = performance.now();
  p.stop = () => (p.running = false);
  p.done = (async () => {
    while (p.running) {
      const sent = performance.now();
      try {
        const res = await fetch(url(), { headers: { Authorization: `token ${token}` }, signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        if (performance.now() - sent > 300) p.slow.push(`${Math.round(sent - BENCH_T0)} ms took ${Math.round(performance.now() - sent)} ms`);
        if (res.status === 200) {
          const now = performance.now();
          p.gapMs = Math.max(p.gapMs, now - lastOk);
          lastOk = now;
          p.ok++;
        } else {
          p.failed++;
          if (p.why.length < 5) p.why.push(`HTTP ${res.status}`);
        }
      } catch (err) {
        p.failed++;
        if (p.why.length < 5) p.why.push(`${(err as Error).message} (at ${Math.round(sent - BENCH_T0)} ms)`);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return p;
}

function probes(publicUrl: string, token: string) {
  let next = 0;
  const hub = probe(() => `${publicUrl}/hub/api/`, token, 20);
  const servers = probe(() => `${publicUrl}/user/${running[next++ % running.length]}/api/status`, token, 5);
  return { hub, servers, stop: async () => { hub.stop(); servers.stop(); await Promise.all([hub.done, servers.done]); } };
}

async function waitReady(apiUrl: string, token: string, user: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${apiUrl}/users/${user}`, { headers: { Authorization: `token ${token}` } });
    const model = await res.json() as { servers?: Record<string, { ready: boolean }> };
    if (model.servers?.['']?.ready) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${user}'s server did not become ready`);
}

async function startServers(apiUrl: string, token: string, say: string): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < running.length; i += 5) {
    await Promise.all(running.slice(i, i + 5).map(async (u) => {
      const res = await fetch(`${apiUrl}/users/${u}/server`, { method: 'POST', headers: { Authorization: `token ${token}` } });
      if (![201, 202].includes(res.status)) throw new Error(`${say}: starting ${u} → ${res.status} ${await res.text()}`);
      await waitReady(apiUrl, token, u);
    }));
  }
  console.error(`${say}: ${running.length} servers ready in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

async function createUsers(apiUrl: string, token: string, say: string): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < names.length; i += 500) {
    const res = await fetch(`${apiUrl}/users`, { method: 'POST', headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ usernames: names.slice(i, i + 500) }) });
    if (res.status !== 201) throw new Error(`${say}: creating users → ${res.status} ${await res.text()}`);
  }
  console.error(`${say}: ${names.length} users in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

async function plasma() {
  const inst = new Installation({ spawner: { type: 'local', start_timeout: 300 }, culler: { enabled: false }, log_level: 'warn' });
  const next = sourceTree('HEAD', (dir) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, version: `${pkg.version}-bench` }, null, 2));
  });
  try {
    await inst.writeConfig();
    await inst.cli(['install', '--from', REPO_ROOT, '--admin', 'pt-upadmin', '--no-docker']);
    inst.adminToken = (await inst.cli(['token', 'pt-upadmin'], { installed: true })).trim();
    await createUsers(inst.apiUrl, inst.adminToken, 'plasma');
    await startServers(inst.apiUrl, inst.adminToken, 'plasma');
    const packed = performance.now();
    const tarball = await packageTarball(next.dir, () => undefined);
    const packMs = performance.now() - packed;
    const p = probes(inst.publicUrl, inst.adminToken);
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = performance.now();
    const out = await inst.cli(['upgrade', '--from', tarball.file, '--json'], { installed: true }).finally(tarball.cleanup);
    const wall = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    await p.stop();
    const report = JSON.parse(out);
    for (const u of running) await inst.api('DELETE', `/users/${u}/server`);
    return { wall, packMs, hub: p.hub, servers: p.servers, steps: report.steps as Array<{ step: string; at: number; ms: number }> };
  } finally {
    await inst.destroy();
    next.cleanup();
  }
}

async function jupyterhub() {
  const jh = new RealJupyterHub({ proxy: 'self-chp', proxyPort: await freeLoopbackPort(), apiPort: await freeLoopbackPort(), proxyToken: 'pt-bench-upgrade-token-0123456789', password: 'x', keepServers: true });
  await jh.start();
  try {
    await createUsers(`${jh.publicUrl}/hub/api`, jh.adminToken, 'jupyterhub');
    await startServers(`${jh.publicUrl}/hub/api`, jh.adminToken, 'jupyterhub');
    const p = probes(jh.publicUrl, jh.adminToken);
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = performance.now();
    await jh.restart();
    const wall = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    await p.stop();
    return { wall, hub: p.hub, servers: p.servers };
  } finally {
    await jh.api('DELETE', '/users/x').catch(() => undefined);
    for (const u of running) await jh.api('DELETE', `/users/${u}/server`).catch(() => undefined);
    await jh.stop();
  }
}

const BENCH_T0 = performance.now();
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const p = await plasma();
const j = await jupyterhub();
console.log(`\n# ${USERS} users, ${SERVERS} running servers (local processes); probes through each hub's proxy`);
console.log('| measure | JupyterHub 3.0 restart (it runs CHP) | plasma upgrade | ratio | target |');
console.log('| --- | --- | --- | --- | --- |');
console.log(`| wall time | ${s(j.wall)} | **${s(p.wall)}** | ${(p.wall / j.wall).toFixed(2)}× | ≤ 10 s |`);
console.log(`| hub API away (longest gap between answers, 20 ms probes) | ${s(j.hub.gapMs)} | **${s(p.hub.gapMs)}** | ${(p.hub.gapMs / j.hub.gapMs).toFixed(2)}× | ≤ 1 s |`);
console.log(`| hub API requests failed | ${j.hub.failed} of ${j.hub.ok + j.hub.failed} | ${p.hub.failed} of ${p.hub.ok + p.hub.failed} | | |`);
console.log(`| requests to user servers failed | ${j.servers.failed} of ${j.servers.ok + j.servers.failed} | **${p.servers.failed} of ${p.servers.ok + p.servers.failed}** | | 0 |`);
console.log(`building the release (npm pack, done once per release, not timed above): ${s(p.packMs)}`);
console.log(`plasma's slow hub requests: ${p.hub.slow.join('; ')}`);
if (p.hub.failed || p.servers.failed) console.log(`\nplasma's failed requests: hub ${p.hub.why.join(', ')}; servers ${p.servers.why.join(', ')}`);
console.log(`\nplasma upgrade's steps: ${p.steps.map((x) => `${x.step} at +${x.at} ms for ${x.ms} ms`).join('; ')}`);
