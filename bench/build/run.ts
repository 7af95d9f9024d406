/**
 * bench/build: environment builds through the hub next to a bare `docker build` of the same rendered
 * Dockerfile and context, in the same run; then the hub's memory during a build that prints 20 MB of log,
 * and three builds queued at once. Not a test: it prints figures and ratios.
 *
 *   node --import tsx bench/build/run.ts [--rounds 3]
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildContext } from '../../src/builder/context.ts';
import { DockerBuilder } from '../../src/builder/index.ts';
import { environmentLabels, labelInstruction, type EnvironmentSettings } from '../../src/builder/labels.ts';
import { parseConfig } from '../../src/config/load.ts';
import { docker, dockerOk } from '../../test/helpers/docker.ts';
import { followBuild } from '../../test/helpers/environments.ts';
import { GitServer } from '../../test/helpers/git-server.ts';
import { PackageIndex } from '../../test/helpers/package-index.ts';
import { Stack } from '../../test/helpers/stack.ts';
import { benchArgs } from '../args.ts';

const values = benchArgs(import.meta.url, { rounds: { type: 'string', default: '3' } });
const ROUNDS = Number(values.rounds);
const PREFIX = 'plasma-test/bench-build-';
const BARE = `${PREFIX}bare:HEAD`;

const FIXTURE = {
  'apt.txt': 'figlet\n',
  'requirements.txt': 'plasma-test-pkg==1.0\n',
  postBuild: { content: '#!/bin/bash\nset -e\nid -un > postbuild-by.txt\n', mode: 0o755 },
  'intro.ipynb': JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }),
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function rss(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** Every image of an environment (tagged or replaced), so the next build starts with no cache of it. */
function removeEnvironmentImages(name: string): void {
  const ids = docker('images', '-q', '--filter', `label=plasma.environment.name=${name}`).split('\n').filter(Boolean);
  if (ids.length) dockerOk('rmi', '-f', ...new Set(ids));
}

/** `docker build -` of exactly the context Plasma sends (rendered Dockerfile with its LABEL step, plasma/ files, src/). */
async function bareBuild(indexUrl: string, checkout: string, settings: EnvironmentSettings, noCache: boolean): Promise<number> {
  const config = parseConfig({ environments: { build_network: 'host', image_prefix: PREFIX, pip_index_url: indexUrl } });
  const { rendered } = new DockerBuilder(config).render(checkout, settings);
  const labels = environmentLabels(settings, { image: BARE, commit: 'bare', owner: 'bench', builtAt: new Date().toISOString(), version: 'bench' });
  const { stream } = buildContext({ repoDir: checkout, repoPrefix: 'src', files: { ...rendered!.files, Dockerfile: `${rendered!.dockerfile}${labelInstruction(labels)}\n` } });
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('docker', ['build', '--network', 'host', ...(noCache ? ['--no-cache'] : []), '--build-arg', `PIP_INDEX_URL=${config.environments.pip_index_url}`,
      '--build-arg', 'PIP_TRUSTED_HOST=127.0.0.1', '-q', '-t', BARE, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    stream.pipe(child.stdin);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker build failed: ${err}`))));
  });
  return performance.now() - t0;
}

async function plasmaBuild(stack: Stack, request: () => Promise<{ status: number; text: string }>, name: string): Promise<{ ms: number; log: string }> {
  const t0 = performance.now();
  const res = await request();
  if (res.status !== 202) throw new Error(`${name}: ${res.status} ${res.text}`);
  const { outcome, log } = await followBuild(stack, name);
  if (outcome.phase !== 'built') throw new Error(`${name} failed: ${outcome.message}\n${log.slice(-2000)}`);
  return { ms: performance.now() - t0, log };
}

async function main(): Promise<void> {
  const git = new GitServer();
  const index = new PackageIndex();
  await git.start();
  await index.start();
  index.addWheel('plasma-test-pkg', '1.0', 'MESSAGE = "bench"\n');
  git.commit('fixture', FIXTURE);
  git.commit('noisy', { postBuild: { content: '#!/bin/bash\nyes "a line of build output that a chatty postBuild prints, again and again" | head -c 20000000\n', mode: 0o755 } });
  for (const q of ['queued-1', 'queued-2', 'queued-3']) git.commit(q, { [`${q}.md`]: `# ${q}\n`, postBuild: { content: '#!/bin/bash\nsleep 1\n', mode: 0o755 } });
  const stack = new Stack({ config: { log_level: 'warn', environments: { build_network: 'host', image_prefix: PREFIX, pip_index_url: index.url } } });
  const checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-bench-checkout-'));
  execFileSync('git', ['clone', '-q', git.path('fixture'), checkout]);
  const names = ['fixture', 'noisy', 'queued-1', 'queued-2', 'queued-3'];
  try {
    names.forEach(removeEnvironmentImages);
    dockerOk('rmi', '-f', BARE);
    await stack.start();
    const settings: EnvironmentSettings = { name: 'fixture', displayName: 'fixture', description: '', repo: git.url('fixture'), ref: 'HEAD', memory: null, cpu: null, buildArgs: {} };

    // Warm-up outside the figures: the apt mirror's and the page cache's first touch.
    if (ROUNDS > 0) await bareBuild(index.url, checkout, settings, true);
    dockerOk('rmi', '-f', BARE);

    const rounds: Array<{ bareFirst: number; plasmaFirst: number; bareRebuild: number; plasmaRebuild: number; cached: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const bareFirst = await bareBuild(index.url, checkout, settings, true);
      dockerOk('rmi', '-f', BARE);
      removeEnvironmentImages('fixture');
      const first = await plasmaBuild(stack, () => round === 0
        ? stack.api('POST', '/plasma/environments', { json: { repo: git.url('fixture') } })
        : stack.api('POST', '/plasma/environments/fixture/rebuild', { json: { no_cache: true } }), 'fixture');
      const again = await plasmaBuild(stack, () => stack.api('POST', '/plasma/environments/fixture/rebuild', { json: {} }), 'fixture');
      const bareRebuild = await bareBuild(index.url, checkout, settings, false);
      dockerOk('rmi', BARE);
      const cached = (again.log.match(/---> Using cache/g) ?? []).length;
      rounds.push({ bareFirst, plasmaFirst: first.ms, bareRebuild, plasmaRebuild: again.ms, cached });
      console.log(`round ${round + 1}: first build bare ${seconds(bareFirst)}, plasma ${seconds(first.ms)} (${(first.ms / bareFirst).toFixed(2)}×); ` +
        `unchanged rebuild bare ${seconds(bareRebuild)}, plasma ${seconds(again.ms)} (${cached} cached steps)`);
    }

    // The hub's memory while a build prints 20 MB and one client follows the log live.
    const hubPid = stack.hub!.pid!;
    const before = rss(hubPid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(hubPid))), 100);
    const noisy = await plasmaBuild(stack, () => stack.api('POST', '/plasma/environments', { json: { repo: git.url('noisy') } }), 'noisy');
    clearInterval(sampler);
    const stored = (await stack.api('GET', '/plasma/environments/noisy/logs')).data.log.length;

    // Three builds asked for at once: the queue runs them one by one (environments.concurrency 1).
    const t0 = performance.now();
    const queued = await Promise.all(['queued-1', 'queued-2', 'queued-3'].map((q) => stack.api('POST', '/plasma/environments', { json: { repo: git.url(q) } })));
    const outcomes = await Promise.all(['queued-1', 'queued-2', 'queued-3'].map((q) => followBuild(stack, q)));
    const queueMs = performance.now() - t0;
    const positions = queued.map((r) => r.data?.build?.queue_position ?? '-');
    const allBuilt = outcomes.filter((o) => o.outcome.phase === 'built').length;

    const m = (k: keyof (typeof rounds)[number]) => median(rounds.map((r) => r[k]));
    const ratios = rounds.map((r) => r.plasmaFirst / r.bareFirst);
    console.log(`\n# Docker ${docker('version', '-f', '{{.Server.Version}}')}, classic builder, host network, ${os.cpus().length} cores; median of ${ROUNDS} rounds`);
    console.log('| measure | bare docker build | plasma | ratio | target |');
    console.log('| --- | --- | --- | --- | --- |');
    if (ROUNDS > 0) console.log(`| first build of the fixture (apt.txt, requirements.txt, postBuild) | ${seconds(m('bareFirst'))} | ${seconds(m('plasmaFirst'))} | **${median(ratios).toFixed(2)}×** (${ratios.map((r) => r.toFixed(2)).join(', ')}) | ≤ 1.1× |`);
    if (ROUNDS > 0) console.log(`| unchanged rebuild (fetch + build from cache) | ${seconds(m('bareRebuild'))} | **${seconds(m('plasmaRebuild'))}** | ${(m('plasmaRebuild') / m('bareRebuild')).toFixed(2)}× | ≤ 10 s |`);
    console.log(`| hub RSS during a build printing ${(noisy.log.length / 1e6).toFixed(1)} MB of log, one follower | | ${(before / 2 ** 20).toFixed(1)} → ${(peak / 2 ** 20).toFixed(1)} MB | **+${((peak - before) / 2 ** 20).toFixed(1)} MB** | ≤ +20 MB |`);
    console.log(`| its log as stored (head + tail) | | ${(stored / 1024).toFixed(0)} KiB | | |`);
    console.log(`| 3 builds asked for at once | | ${allBuilt}/3 built in ${seconds(queueMs)}, queue positions ${positions.join(', ')} | | all finish |`);
  } finally {
    await stack.stop();
    names.forEach(removeEnvironmentImages);
    dockerOk('rmi', '-f', BARE);
    fs.rmSync(checkout, { recursive: true, force: true });
    await git.stop();
    await index.stop();
  }
}

await main();
