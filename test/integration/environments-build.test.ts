import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser, xsrfOf } from '../helpers/browser.ts';
import { docker, dockerOk } from '../helpers/docker.ts';
import { followBuild, addEnvironment } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { runInKernel } from '../helpers/kernel.ts';
import { PackageIndex } from '../helpers/package-index.ts';
import { Stack, waitFor } from '../helpers/stack.ts';
import { createSystemUser, removeSystemGroup, removeSystemUser } from '../helpers/system-users.ts';

const STUDENT = 'pt-envstud';
const PASSWORD = 'Env-student-1!';
const GROUP = 'pt-envclass';
const IMAGE = 'plasma-test/course:HEAD';
const TLJH_IMAGE = 'plasma-test/tljh-env:HEAD';
const R_IMAGE = 'plasma-test/rstats:HEAD';
const notebook = (text: string) => JSON.stringify({ cells: [{ cell_type: 'markdown', metadata: {}, source: [text] }], metadata: {}, nbformat: 4, nbformat_minor: 5 });

/** The steps of a classic-builder log, each with its text, so a test can ask which ones came from the cache. */
function steps(log: string): Array<{ instruction: string; cached: boolean }> {
  return log.split(/^Step \d+\/\d+ : /m).slice(1).map((chunk) => ({ instruction: chunk.split('\n')[0], cached: /---> Using cache/.test(chunk) }));
}

// Issue 11, must-show 1, 2, 6 and 7: a repository on a real git server becomes an environment a student uses.
describe('environments built from a git repository', () => {
  const git = new GitServer();
  const index = new PackageIndex();
  const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-srv-data-'));
  let stack: Stack;
  let account: { uid: number; gid: number; home: string };
  let firstCommit = '';
  let studentToken = '';
  const browser = new Browser('');

  before(async () => {
    dockerOk('rmi', '-f', IMAGE, TLJH_IMAGE, R_IMAGE);
    await git.start();
    await index.start();
    index.addWheel('plasma-test-pkg', '1.0', 'MESSAGE = "served by the local index"\n');
    firstCommit = git.commit('course', {
      'apt.txt': '# a package the base image lacks\nfiglet\n',
      'requirements.txt': 'plasma-test-pkg==1.0\n',
      postBuild: { content: '#!/bin/bash\nset -e\nid -un > postbuild-by.txt\n', mode: 0o755 },
      start: { content: '#!/bin/bash\necho "start ran in $PWD" > .start-ran\nexec "$@"\n', mode: 0o755 },
      'intro.ipynb': notebook('# Week 1'),
    });
    git.commit('rstats', {
      'runtime.txt': 'r-2024-01-15\n',
      'install.R': 'writeLines(paste("install.R ran with", R.version.string), "/srv/rlibs/install-R-ran.txt")\n',
    });
    account = createSystemUser(STUDENT, PASSWORD, [GROUP]);
    fs.chmodSync(shared, 0o755);
    stack = new Stack({
      config: {
        auth: { type: 'pam' },
        spawner: { type: 'docker', poll_interval: 2, docker: { network: 'host', shared_data_path: shared, stop_timeout: 2 } },
        // The mirror Debian's own images use, set explicitly: the build then rewrites the image's apt sources.
        environments: { build_network: 'host', image_prefix: 'plasma-test/', groups: [GROUP], pip_index_url: index.url, apt_mirror: 'http://deb.debian.org/debian' },
      },
    });
    await stack.start();
    Object.assign(browser, { origin: stack.publicUrl });
  });

  after(async () => {
    await stack?.stop();
    const ids = docker('ps', '-aq', '--filter', `label=plasma.user=${STUDENT}`).split('\n').filter(Boolean);
    if (ids.length) dockerOk('rm', '-f', ...ids);
    dockerOk('rmi', '-f', IMAGE, TLJH_IMAGE, R_IMAGE);
    removeSystemUser(STUDENT);
    removeSystemGroup(GROUP);
    await git.stop();
    await index.stop();
    fs.rmSync(shared, { recursive: true, force: true });
  });

  it('a teacher adds the repository; the build streams its steps and ends built, labelled', async () => {
    const added = await addEnvironment(stack, { repo: git.url('course'), display_name: 'Intro course', memory: '1G', cpu: 1, buildargs: 'YEAR=2026' });
    assert.equal(added.name, 'course', 'the name comes from the URL');
    assert.equal(added.accepted.build.status, 'queued');
    const progress = added.events.filter((e) => e.phase === 'progress');
    assert.ok(progress.length >= 5 && progress.at(-1)!.step === progress.at(-1)!.total, `progress reached the last step: ${JSON.stringify(progress.at(-1))}`);
    assert.match(added.log, /Fetching http:\/\/127\.0\.0\.1:\d+\/course\.git at HEAD/);
    assert.match(added.log, /Found apt\.txt \(1 package\), requirements\.txt \(1 line\), postBuild, start/);
    assert.match(added.log, /Step \d+\/\d+ : ARG PLASMA_APT_MIRROR/);

    const env = (await stack.api('GET', '/plasma/environments/course')).data;
    assert.equal(env.status, 'built');
    assert.equal(env.image, IMAGE);
    assert.equal(env.commit, firstCommit);
    assert.deepEqual([env.memory, env.cpu, env.build_args, env.owner], ['1G', 1, { YEAR: '2026' }, stack.adminUser]);
    const labels = JSON.parse(docker('image', 'inspect', IMAGE))[0].Config.Labels;
    assert.equal(labels['plasma.environment.commit'], firstCommit);
    assert.equal(labels['repo2docker.repo'], git.url('course'));
    assert.equal(labels['tljh_repo2docker.image_name'], IMAGE);
    assert.equal(labels['tljh_repo2docker.mem_limit'], '1G');
  });

  it('a student in an allowed group picks it on the spawn page and works in ~/<environment>/ as themselves', async () => {
    const before = (await stack.api('GET', '/plasma/permissions')).data;
    assert.deepEqual(before.groups, [GROUP], 'the groups that can be granted are environments.groups');
    assert.equal((await stack.api('POST', '/plasma/environments/course/groups', { json: { groups: [GROUP] } })).status, 200);

    assert.equal((await browser.login(STUDENT, PASSWORD)).status, 200);
    // The spawn page is the app: it lists what the environments API gives the student's browser.
    const spawn = await browser.appView('/hub/spawn', '/hub/api/plasma/environments');
    const shown = spawn.data.find((e: any) => e.name === 'course');
    assert.equal(shown?.display_name, 'Intro course');
    assert.equal(shown?.repo, git.url('course'));
    const started = await browser.go('/hub/spawn', { form: { _xsrf: xsrfOf(spawn.page.text), environment: 'course' } });
    assert.match(started.url, new RegExp(`/hub/spawn-pending/${STUDENT}`));
    const events = await stack.waitReady(STUDENT);
    assert.equal(events.at(-1).ready, true, JSON.stringify(events.at(-1)));

    const folder = path.join(account.home, 'Intro course');
    const copied = path.join(folder, 'intro.ipynb');
    assert.ok(fs.existsSync(copied), 'the notebook is in ~/Intro course/');
    assert.equal(fs.statSync(copied).uid, account.uid, 'and owned by the student');
    assert.equal(fs.readFileSync(path.join(folder, 'postbuild-by.txt'), 'utf8').trim(), 'jovyan', 'postBuild ran as the notebook user, not root');
    assert.equal(fs.readFileSync(path.join(folder, '.start-ran'), 'utf8').trim(), `start ran in ${folder}`, 'start ran before the server');

    const name = `jupyter-${STUDENT}`;
    assert.equal(dockerOk('exec', name, 'dpkg', '-s', 'figlet').code, 0, 'the apt.txt package is installed');
    const info = JSON.parse(docker('inspect', name))[0];
    assert.equal(info.Config.User, `${account.uid}:${account.gid}`);
    assert.equal(info.HostConfig.Memory, 1024 ** 3, 'the environment\'s memory limit');
    assert.equal(info.HostConfig.CpuQuota, 100_000, 'the environment\'s CPU limit');
    assert.equal(info.Config.Labels['plasma.environment'], 'course');

    studentToken = await stack.cli(['token', STUDENT]);
    const run = await runInKernel(`${stack.publicUrl}/user/${STUDENT}/`, studentToken, 'import sys, plasma_test_pkg\nprint(plasma_test_pkg.MESSAGE, sys.prefix)');
    assert.equal(run.error, null);
    assert.equal(run.stdout.trim(), 'served by the local index /srv/venv', 'the package imports in the server\'s kernel, from the environment\'s venv');
    const server = (await stack.api('GET', `/users/${STUDENT}`)).data.servers[''];
    assert.deepEqual(server.user_options, { environment: 'course' });
  });

  it('changing only a notebook and rebuilding reuses the dependency layers', async () => {
    const second = git.commit('course', { 'intro.ipynb': notebook('# Week 1, corrected') });
    const oldId = JSON.parse(docker('image', 'inspect', IMAGE))[0].Id;
    const res = await stack.api('POST', '/plasma/environments/course/rebuild', { json: {} });
    assert.equal(res.status, 202, res.text);
    const { log, outcome } = await followBuild(stack, 'course');
    assert.equal(outcome.phase, 'built', log.slice(-2000));
    const byStep = steps(log);
    const find = (re: RegExp) => byStep.find((s) => re.test(s.instruction));
    assert.equal(find(/apt\.txt apt-get install/)?.cached, true, 'the apt layer came from the cache');
    assert.equal(find(/pip install .*requirements\.txt/)?.cached, true, 'the pip layer came from the cache');
    assert.equal(find(/^COPY .*src\//)?.cached, false, 'the repository copy is new');
    const env = (await stack.api('GET', '/plasma/environments/course')).data;
    assert.equal(env.commit, second);
    assert.notEqual(env.image_id, oldId);
    assert.equal((await stack.api('GET', `/users/${STUDENT}`)).data.servers['']?.ready, true, 'the running server was left alone');
  });

  it('removing it while a student\'s server runs is refused with 409 naming them', async () => {
    const refused = await stack.api('DELETE', '/plasma/environments/course');
    assert.equal(refused.status, 409);
    assert.deepEqual(refused.data.users, [STUDENT]);
    assert.match(refused.data.message, new RegExp(STUDENT));
    assert.equal(dockerOk('image', 'inspect', IMAGE).code, 0, 'the image is still there');
    assert.deepEqual((await stack.api('GET', '/plasma/environments/course')).data.in_use_by, [STUDENT]);
    assert.equal((await stack.api('DELETE', `/users/${STUDENT}/server`)).status, 204);
  });

  it('runtime.txt with r-… and install.R give an R environment with Debian\'s R and a working IR kernel', async () => {
    const added = await addEnvironment(stack, { repo: git.url('rstats'), display_name: 'Statistics in R' });
    assert.match(added.log, /Note: runtime\.txt asks for R as of 2024-01-15; Debian's R \(4\.2\)/);
    assert.equal((await stack.api('POST', '/plasma/environments/rstats/groups', { json: { groups: [GROUP] } })).status, 200);
    await waitFor(async () => (await stack.api('GET', `/users/${STUDENT}`)).data.server === null, 20_000, 'the course server to stop');
    const start = await stack.api('POST', `/users/${STUDENT}/server`, { json: { environment: 'rstats' }, token: studentToken });
    assert.ok([201, 202].includes(start.status), start.text);
    assert.equal((await stack.waitReady(STUDENT, '', studentToken)).at(-1).ready, true);
    const run = await runInKernel(`${stack.publicUrl}/user/${STUDENT}/`, studentToken, 'cat(readLines("/srv/rlibs/install-R-ran.txt"))', 'ir');
    assert.equal(run.error, null);
    assert.match(run.stdout, /^install\.R ran with R version 4\.2/);
    assert.ok(fs.existsSync(path.join(account.home, 'Statistics in R', 'install.R')), 'its own folder');
    assert.equal((await stack.api('DELETE', `/users/${STUDENT}/server`)).status, 204);
  });

  it('after the database is deleted, a new hub lists the same environments, tljh-repo2docker\'s too', async () => {
    // An image as tljh-repo2docker labels it, built on this host by "the Python stack".
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-tljh-'));
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM plasma/base:latest\n');
    docker('build', '-q', '-t', TLJH_IMAGE, '--label', `tljh_repo2docker.image_name=${TLJH_IMAGE}`, '--label', 'repo2docker.ref=HEAD',
      '--label', 'repo2docker.repo=https://example.invalid/course/old', '--label', 'tljh_repo2docker.display_name=Python stack env',
      '--label', 'tljh_repo2docker.mem_limit=1G', '--label', 'tljh_repo2docker.cpu_limit=0.5', '--label', 'tljh_repo2docker.creation_date=02/09/2025', dir);
    fs.rmSync(dir, { recursive: true, force: true });
    const listed = (await stack.api('GET', '/plasma/environments')).data.find((e: any) => e.name === 'course');

    await stack.killHub('SIGTERM');
    for (const f of fs.readdirSync(path.join(stack.prefix, 'state'))) if (f.startsWith('plasma.sqlite')) fs.rmSync(path.join(stack.prefix, 'state', f));
    await stack.startHub();
    stack.adminToken = await stack.cli(['token', stack.adminUser]);
    const after = (await stack.api('GET', '/plasma/environments')).data;
    const course = after.find((e: any) => e.name === 'course');
    for (const key of ['image', 'image_id', 'repo', 'ref', 'commit', 'display_name', 'memory', 'cpu', 'build_args', 'owner', 'status']) {
      assert.deepEqual(course[key], listed[key], `${key} survives the database`);
    }
    assert.equal(course.build, null, 'no build record: the database was new');
    const tljh = after.find((e: any) => e.name === 'tljh-env');
    assert.ok(tljh, `the tljh-repo2docker image is listed: ${JSON.stringify(after.map((e: any) => e.name))}`);
    assert.deepEqual([tljh.source, tljh.display_name, tljh.memory, tljh.cpu, tljh.built_at], ['tljh-repo2docker', 'Python stack env', '1G', 0.5, '2025-09-02T00:00:00Z']);

    // tljh-repo2docker's spawn option ({"image": "<name>:<ref>"}) starts it, with its label's limits and folder.
    assert.equal((await stack.api('POST', '/plasma/environments/tljh-env/groups', { json: { groups: [GROUP] } })).status, 200);
    studentToken = await stack.cli(['token', STUDENT]).catch(async () => {
      await stack.api('POST', `/users/${STUDENT}`);
      return stack.cli(['token', STUDENT]);
    });
    const start = await stack.api('POST', `/users/${STUDENT}/server`, { json: { image: TLJH_IMAGE }, token: studentToken });
    assert.ok([201, 202].includes(start.status), start.text);
    assert.equal((await stack.waitReady(STUDENT, '', studentToken)).at(-1).ready, true);
    assert.equal(JSON.parse(docker('inspect', `jupyter-${STUDENT}`))[0].HostConfig.Memory, 1024 ** 3);
    assert.ok(fs.existsSync(path.join(account.home, 'Python stack env')), 'its folder is named after its display name');
    assert.equal((await stack.api('DELETE', `/users/${STUDENT}/server`)).status, 204);
  });

  it('once no server uses it, removal succeeds and the image is gone', async () => {
    await waitFor(async () => (await stack.api('GET', `/users/${STUDENT}`)).data.server === null, 20_000, 'the server to stop');
    const removed = await stack.api('DELETE', '/plasma/environments/course');
    assert.equal(removed.status, 204, removed.text);
    assert.notEqual(dockerOk('image', 'inspect', IMAGE).code, 0, 'the image is gone');
    assert.equal((await stack.api('GET', '/plasma/environments/course')).status, 404);
    assert.ok(!(await stack.api('GET', '/plasma/environments')).data.some((e: any) => e.name === 'course'));
  });
});
