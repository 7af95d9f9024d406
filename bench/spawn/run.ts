/**
 * bench/spawn: start-to-ready time of Docker user servers through the hub, for 1 and for N at once, next to a
 * bare `docker run` of the same image doing the same work (jupyterhub-singleuser as the same user, polled until
 * it answers HTTP). Ratios = Plasma / bare. Not a test.
 *
 *   node --import tsx bench/spawn/run.ts [--concurrent 20]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { docker, dockerOk, removeUserContainers } from '../../test/helpers/docker.ts';
import { addEnvironment } from '../../test/helpers/environments.ts';
import { GitServer } from '../../test/helpers/git-server.ts';
import { Stack, waitFor } from '../../test/helpers/stack.ts';
import { createSystemUser, removeSystemUser } from '../../test/helpers/system-users.ts';
import { benchArgs } from '../args.ts';

const run = promisify(execFile);
const values = benchArgs(import.meta.url, { concurrent: { type: 'string', default: '20' } });
const N = Number(values.concurrent);
const users = Array.from({ length: N }, (_, i) => `pt-bench${i}`);
/** The environment every server runs in, built through the hub from a local repository. */
const IMAGE = 'plasma-test/bench-base:HEAD';

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

/** The same container work without Plasma: create, start, wait for HTTP. */
async function bareRun(user: string, uid: number, gid: number, home: string, apiUrl: string): Promise<number> {
  const port = await freeLoopbackPort();
  const prefix = `/user/${user}/`;
  const t0 = performance.now();
  await run('docker', ['run', '-d', '--rm', '--name', `jupyter-${user}-bare`, '--network', 'host', '--init', '--user', `${uid}:${gid}`,
    '-v', `${home}:${home}`, '-w', home, '-e', `HOME=${home}`, '-e', `USER=${user}`,
    '-e', `JUPYTERHUB_API_URL=${apiUrl}`, '-e', 'JUPYTERHUB_API_TOKEN=bench-not-a-token', '-e', `JUPYTERHUB_CLIENT_ID=jupyterhub-user-${user}`,
    '-e', `JUPYTERHUB_SERVICE_PREFIX=${prefix}`, '-e', `JUPYTERHUB_SERVICE_URL=http://127.0.0.1:${port}${prefix}`, '-e', `JUPYTERHUB_USER=${user}`,
    '-e', 'JUPYTERHUB_BASE_URL=/', '-e', `JUPYTERHUB_OAUTH_CALLBACK_URL=${prefix}oauth_callback`,
    '--memory', '2g', '--cpu-period', '100000', '--cpu-quota', '200000', IMAGE, 'jupyterhub-singleuser']);
  await waitFor(() => answers(`http://127.0.0.1:${port}${prefix}`), 180_000, `${user} bare`);
  return performance.now() - t0;
}

async function viaHub(stack: Stack, user: string): Promise<number> {
  const t0 = performance.now();
  const r = await stack.api('POST', `/users/${user}/server`, { json: { environment: 'base' } });
  if (r.status !== 201 && r.status !== 202) throw new Error(`start ${user} → ${r.status} ${r.text}`);
  if (r.status === 202) {
    const events = await stack.waitReady(user);
    if (!events.at(-1)?.ready) throw new Error(`${user}: ${JSON.stringify(events.at(-1))}`);
  }
  return performance.now() - t0;
}

async function main() {
  removeUserContainers(users);
  const repos = new GitServer();
  repos.commit('base', { 'README.md': '# bench\n' });
  const accounts = users.map((u) => ({ name: u, ...createSystemUser(u, 'Bench-pass-1') }));
  const stack = new Stack({ config: { log_level: 'warn', culler: { enabled: false }, auth: { type: 'pam' },
    spawner: { type: 'docker', docker: { network: 'host' } },
    environments: { build_network: 'host', image_prefix: 'plasma-test/bench-', local_roots: [repos.root] } } });
  try {
    await stack.start();
    for (const u of users) await stack.api('POST', `/users/${u}`);
    await addEnvironment(stack, { repo: repos.path('base') });
    await stack.api('POST', '/groups/pt-bench', { json: { users } });
    await stack.api('POST', '/plasma/environments/base/groups', { json: { groups: ['pt-bench'] } });
    const apiUrl = `${stack.hubUrl}/hub/api`;
    const stopAll = async () => {
      await Promise.all(users.map((u) => stack.api('DELETE', `/users/${u}/server`)));
      const bare = docker('ps', '-aq', '--filter', 'name=-bare$').split('\n').filter(Boolean);
      if (bare.length) dockerOk('rm', '-f', ...bare);
      await new Promise((r) => setTimeout(r, 1000));
    };
    // Warm the page cache for the image once, outside the measurements.
    await bareRun(accounts[0].name, accounts[0].uid, accounts[0].gid, accounts[0].home, apiUrl);
    await stopAll();

    const bareOne = await bareRun(accounts[0].name, accounts[0].uid, accounts[0].gid, accounts[0].home, apiUrl);
    await stopAll();
    const hubOne = await viaHub(stack, users[0]);
    await stopAll();

    let t0 = performance.now();
    const bareEach = await Promise.all(accounts.map((a) => bareRun(a.name, a.uid, a.gid, a.home, apiUrl)));
    const bareAll = performance.now() - t0;
    await stopAll();
    t0 = performance.now();
    const hubEach = await Promise.all(users.map((u) => viaHub(stack, u)));
    const hubAll = performance.now() - t0;
    await stopAll();

    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(9);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`# Docker ${docker('version', '-f', '{{.Server.Version}}')}, image ${IMAGE}, host networking, 2 cores`);
    console.log(`${'measure'.padEnd(40)}${'bare docker run'.padStart(16)}${'Plasma hub'.padStart(12)}  ratio`);
    console.log(`${'1 server, request → ready'.padEnd(40)}${s(bareOne).padStart(16)}${s(hubOne).padStart(12)}  ${(hubOne / bareOne).toFixed(2)}×`);
    console.log(`${`${N} at once, until all ready`.padEnd(40)}${s(bareAll).padStart(16)}${s(hubAll).padStart(12)}  ${(hubAll / bareAll).toFixed(2)}×`);
    console.log(`${`${N} at once, median per server`.padEnd(40)}${s(median(bareEach)).padStart(16)}${s(median(hubEach)).padStart(12)}  ${(median(hubEach) / median(bareEach)).toFixed(2)}×`);
  } finally {
    await stack.stop();
    removeUserContainers(users);
    dockerOk('rmi', '-f', IMAGE);
    await repos.stop();
    for (const u of users) removeSystemUser(u);
  }
}

await main();
