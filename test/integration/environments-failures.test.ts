import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { docker, dockerOk } from '../helpers/docker.ts';
import { addEnvironment, followBuild } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { Stack, waitFor } from '../helpers/stack.ts';

const run = promisify(execFile);
const PREFIX = 'plasma-test/fail-';
const SECRET = 'pt-S3cret-token-7f3a9c1e';
const MARKER = `/tmp/pt-hostile-marker-${process.pid}`;

function images(label: string): string[] {
  return docker('images', '-q', '--filter', `label=plasma.environment.name=${label}`).split('\n').filter(Boolean);
}

// Issue 11, must-show 3, 4 and 8: builds as is, builds that fail or are cut short, private repositories, hostile input.
describe('environment builds: Dockerfiles, failures, a hub killed mid-build, credentials, hostile input', () => {
  const git = new GitServer();
  const stack = new Stack({ config: { environments: { build_network: 'host', image_prefix: PREFIX, local_roots: [git.root] } } });

  before(async () => {
    await git.start();
    await git.startDaemon();
    git.commit('as-is', {
      Dockerfile: 'FROM plasma/base:latest\nRUN echo "built as is" > /home/jovyan/marker.txt\n',
      'apt.txt': 'figlet\n',
    });
    git.commit('broken', { postBuild: { content: '#!/bin/bash\necho "about to fail" >&2\nexit 3\n', mode: 0o755 } });
    git.commit('slow', { postBuild: { content: '#!/bin/bash\necho slow-start\nsleep 8\necho slow-end\n', mode: 0o755 } });
    git.commit('private', { 'notes.md': '# private course\n', postBuild: { content: '#!/bin/bash\necho private postBuild ran\n', mode: 0o755 } });
    git.protect('private', 'teacher', SECRET);
    git.commit('big-apt', { 'apt.txt': 'figlet\n'.repeat(1024 * 1024 * 10 / 7) });
    git.commit('submodule-ext', { '.gitmodules': `[submodule "evil"]\n\tpath = evil\n\turl = ext::sh -c touch% ${MARKER}\n` });
    git.commit('two-binders', { 'binder/apt.txt': 'figlet\n', '.binder/apt.txt': 'figlet\n' });
    git.commit('conda', { 'environment.yml': 'dependencies:\n  - numpy\n' });
    git.commit('shared-lib', { 'lib.txt': 'from the submodule\n' });
    git.commit('with-sub', { Dockerfile: 'FROM plasma/base:latest\nCOPY lib/lib.txt /lib.txt\n' });
    git.submodule('with-sub', 'lib', 'shared-lib');
    await stack.start();
  });

  after(async () => {
    await stack.stop();
    for (const name of ['as-is', 'broken', 'slow', 'private', 'with-sub']) dockerOk('rmi', '-f', `${PREFIX}${name}:HEAD`);
    await git.stop();
    fs.rmSync(MARKER, { force: true });
  });

  it('a Dockerfile repository (fetched over git://) is built as is, with Plasma\'s labels', async () => {
    const added = await addEnvironment(stack, { repo: git.gitUrl('as-is'), name: 'as-is' });
    assert.match(added.log, /Found Dockerfile, built as is/);
    assert.match(added.log, /a Dockerfile is built as is: apt\.txt is not used/);
    assert.equal(docker('run', '--rm', `${PREFIX}as-is:HEAD`, 'cat', '/home/jovyan/marker.txt'), 'built as is');
    const labels = JSON.parse(docker('image', 'inspect', `${PREFIX}as-is:HEAD`))[0].Config.Labels;
    assert.equal(labels['plasma.environment.name'], 'as-is');
    assert.equal(labels['repo2docker.repo'], git.gitUrl('as-is'));
  });

  it('submodules are fetched too (a relative URL, checked by the same rules)', async () => {
    const added = await addEnvironment(stack, { repo: git.url('with-sub') });
    assert.match(added.log, /Fetching submodules: lib/);
    assert.equal(docker('run', '--rm', `${PREFIX}with-sub:HEAD`, 'cat', '/lib.txt'), 'from the submodule');
  });

  it('a failing postBuild gives a failed build whose log shows the error', async () => {
    const added = await addEnvironment(stack, { repo: git.url('broken') }, { expect: 'error' });
    assert.match(added.outcome.message!, /returned a non-zero code: 3/);
    assert.match(added.log, /about to fail/);
    const env = (await stack.api('GET', '/plasma/environments/broken')).data;
    assert.equal(env.status, 'failed');
    assert.match(env.build.error, /non-zero code: 3/);
    assert.deepEqual(images('broken'), [], 'no image');
    const json = (await stack.api('GET', '/plasma/environments/broken/logs')).data;
    assert.match(json.log, /about to fail/, 'the stored log keeps the error');
  });

  it('a hub killed mid-build leaves no image and a failed build after restart; a rebuild then succeeds', async () => {
    assert.equal((await stack.api('POST', '/plasma/environments', { json: { repo: git.url('slow') } })).status, 202);
    await waitFor(async () => /slow-start/.test((await stack.api('GET', '/plasma/environments/slow/logs')).data.log), 120_000, 'postBuild to start');
    // A second build waits in the queue (concurrency 1) when the hub dies: it runs after the restart.
    const waiting = await stack.api('POST', '/plasma/environments', { json: { repo: git.url('private'), name: 'waiting', username: 'teacher', password: SECRET } });
    assert.equal(waiting.status, 202, waiting.text);
    assert.deepEqual([waiting.data.build.status, waiting.data.build.queue_position], ['queued', 1]);
    await stack.killHub('SIGKILL');
    // dockerd sees the build's connection close and stops the build: nothing is tagged or labelled.
    await waitFor(() => !docker('ps', '-a', '--no-trunc', '--format', '{{.Command}}').includes('postBuild'), 30_000, 'the build container to go');
    assert.deepEqual(images('slow'), [], 'no half-built image carries the environment\'s labels');
    await stack.startHub();
    const env = (await stack.api('GET', '/plasma/environments/slow')).data;
    assert.equal(env.status, 'failed');
    assert.match(env.build.error, /interrupted: the hub stopped during this build/);
    const resumed = await followBuild(stack, 'waiting');
    assert.equal(resumed.outcome.phase, 'built', `the queued build ran after the restart: ${resumed.log.slice(-1000)}`);
    assert.equal((await stack.api('DELETE', '/plasma/environments/waiting')).status, 204);
    const rebuilt = await stack.api('POST', '/plasma/environments/slow/rebuild', { json: {} });
    assert.equal(rebuilt.status, 202, rebuilt.text);
    const { outcome, log } = await followBuild(stack, 'slow');
    assert.equal(outcome.phase, 'built', log.slice(-2000));
    assert.match(log, /slow-end/);
    assert.equal(images('slow').length, 1);
  });

  it('a private repository builds with credentials that appear in no history, label, log, database or ps output', async () => {
    const anonymous = await stack.api('POST', '/plasma/environments', { json: { repo: git.url('private') } });
    assert.equal(anonymous.status, 400);
    assert.equal(anonymous.data.field, 'repo');
    assert.match(anonymous.data.message, /needs credentials/);

    const samples: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push((await run('ps', ['axeww'], { maxBuffer: 16 * 1024 * 1024 })).stdout);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const added = await addEnvironment(stack, { repo: git.url('private'), username: 'teacher', password: SECRET });
      assert.match(added.log, /private postBuild ran/);
    } finally {
      sampling = false;
      await sampler;
    }
    assert.ok(samples.length > 5, `ps was sampled during the fetch and build (${samples.length} samples)`);
    assert.ok(git.requests.some((r) => r.user === 'teacher'), 'the credentials did reach the git server');
    assert.ok(git.requests.every((r) => !r.url.includes(SECRET)), 'never in a URL');
    const places: Record<string, string> = {
      'docker history': docker('history', '--no-trunc', `${PREFIX}private:HEAD`),
      'docker inspect': docker('image', 'inspect', `${PREFIX}private:HEAD`),
      'the build log': (await stack.api('GET', '/plasma/environments/private/logs')).text,
      'the environment': (await stack.api('GET', '/plasma/environments/private')).text,
      'ps output': samples.join('\n'),
    };
    for (const dir of ['logs', 'state']) {
      for (const file of fs.readdirSync(path.join(stack.prefix, dir), { recursive: true }) as string[]) {
        const full = path.join(stack.prefix, dir, file);
        if (fs.statSync(full).isFile()) places[`${dir}/${file}`] = fs.readFileSync(full, 'latin1');
      }
    }
    places['hub.log'] = fs.readFileSync(stack.hubLog, 'utf8');
    assert.ok(Object.keys(places).some((k) => k.includes('plasma.sqlite')), 'the database file was read');
    for (const [where, text] of Object.entries(places)) assert.ok(!text.includes(SECRET), `the password appears in ${where}`);
    const cache = path.join(stack.prefix, 'cache', 'builds');
    assert.deepEqual(fs.existsSync(cache) ? fs.readdirSync(cache) : [], [], 'no checkout or askpass file is left');
  });

  it('hostile input gets 400 naming the field, runs nothing, and changes nothing', async () => {
    const before = (await stack.api('GET', '/plasma/environments')).data.map((e: any) => e.name);
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ repo: `ext::sh -c touch% ${MARKER}` }, 'repo', /remote helpers/],
      [{ repo: `--upload-pack=touch ${MARKER}` }, 'repo', /must not start with "-"/],
      [{ repo: `-oProxyCommand=touch ${MARKER}` }, 'repo', /must not start with "-"/],
      [{ repo: 'file:///etc' }, 'repo', /local_roots/],
      [{ repo: '/etc' }, 'repo', /local_roots/],
      [{ repo: `${git.root}/../../etc` }, 'repo', /local_roots/],
      [{ repo: 'ssh://git@127.0.0.1/x.git' }, 'repo', /not supported/],
      [{ repo: `fd::17` }, 'repo', /remote helpers/],
      [{ repo: git.url('as-is'), ref: `--output=${MARKER}` }, 'ref', /must not start with "-"/],
      [{ repo: git.url('as-is'), ref: 'main\nHEAD' }, 'ref', /control characters/],
      [{ repo: git.url('as-is'), name: 'a/b' }, 'name', /invalid name/],
      [{ repo: git.url('as-is'), name: '..' }, 'name', /invalid name/],
      [{ repo: git.url('as-is'), name: 'a b' }, 'name', /invalid name/],
      [{ repo: git.url('as-is'), display_name: '../../etc' }, 'display_name', /folder name/],
      [{ repo: git.url('as-is'), buildargs: `A=1\nRUN touch ${MARKER}` }, 'buildargs', /line 2 is not KEY=VALUE/],
      [{ repo: git.url('as-is'), buildargs: { A: `1\nRUN touch ${MARKER}` } }, 'buildargs', /one line/],
      [{ repo: git.url('as-is'), memory: 'lots' }, 'memory', /size such as/],
      [{ repo: git.url('as-is'), cpu: -1 }, 'cpu', /positive number/],
      [{ repo: git.url('as-is'), node: 'x' }, 'node', /unknown fields/],
      [{ repo: git.url('big-apt') }, 'repo', /apt\.txt is 10\.0 MB: configuration files may be at most 1 MB/],
      [{ repo: git.url('submodule-ext') }, 'repo', /submodule evil is refused/],
      [{ repo: git.url('two-binders') }, 'repo', /both binder\/ and \.binder\//],
      [{ repo: git.url('conda') }, 'repo', /environments\.conda/],
    ];
    for (const [body, field, message] of cases) {
      const res = await stack.api('POST', '/plasma/environments', { json: body });
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 100)} → ${res.status} ${res.text}`);
      assert.equal(res.data.field, field, `${JSON.stringify(body).slice(0, 100)}: ${res.data.message}`);
      assert.match(res.data.message, message);
    }
    assert.equal((await stack.api('POST', '/plasma/environments', { raw: '{"repo": ' })).status, 400, 'malformed JSON');
    assert.equal((await stack.api('POST', '/plasma/environments', { json: ['x'] })).status, 400, 'not an object');
    assert.ok(!fs.existsSync(MARKER), 'no payload ran');
    assert.deepEqual((await stack.api('GET', '/plasma/environments')).data.map((e: any) => e.name), before, 'nothing was added');
    assert.deepEqual(fs.readdirSync(path.join(stack.prefix, 'cache', 'builds')), [], 'no checkout is left behind');
  });
});
