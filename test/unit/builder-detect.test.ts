import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildContext } from '../../src/builder/context.ts';
import { detectRepository } from '../../src/builder/detect.ts';
import { BuildInputError } from '../../src/builder/input.ts';
import { labelInstruction, environmentLabels, readEnvironmentLabels } from '../../src/builder/labels.ts';
import { renderDockerfile, type RenderOptions } from '../../src/builder/render.ts';
import { BuildLog } from '../../src/environments/build-log.ts';

function repo(files: Record<string, string | { link: string }>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-detect-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    if (typeof content === 'string') fs.writeFileSync(path.join(dir, rel), content);
    else fs.symlinkSync(content.link, path.join(dir, rel));
  }
  return dir;
}

const none = { condaConfigured: false, juliaConfigured: false };
const render: RenderOptions = { baseImage: 'plasma/base:latest', notebookUser: { name: 'jovyan', uid: 1100 }, buildArgNames: [] };

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof BuildInputError && message.test(err.message));
}

describe('reading a repository as repo2docker does', () => {
  it('binder/ wins over the root; both binder/ and .binder/ is an error', () => {
    const plan = detectRepository(repo({ 'apt.txt': 'vim\n', 'binder/apt.txt': 'figlet # comment\n\n# only comments\nlibxml2-dev=2.9.14+dfsg-1.3\n' }), none);
    assert.equal(plan.configDir, 'binder');
    assert.deepEqual(plan.apt, ['figlet', 'libxml2-dev=2.9.14+dfsg-1.3']);
    refused(() => detectRepository(repo({ 'binder/apt.txt': 'a\n', '.binder/apt.txt': 'b\n' }), none), /both binder\/ and \.binder\//);
  });

  it('a Dockerfile is built as is and the other files are named as unused; binder-base is refused', () => {
    const plan = detectRepository(repo({ Dockerfile: 'FROM plasma/base:latest\n', 'apt.txt': 'x\n', postBuild: 'x' }), none);
    assert.equal(plan.dockerfile, 'Dockerfile');
    assert.deepEqual(plan.notes, ['a Dockerfile is built as is: apt.txt, postBuild are not used']);
    refused(() => detectRepository(repo({ Dockerfile: 'FROM andrewosh/binder-base\n' }), none), /retired andrewosh\/binder-base/);
  });

  it('apt.txt lines must be package names; configuration files must be small regular files', () => {
    refused(() => detectRepository(repo({ 'apt.txt': 'figlet\n$(touch /tmp/x)\n' }), none), /apt\.txt line 2: "\$\(touch" is not a Debian package name/);
    refused(() => detectRepository(repo({ 'apt.txt': '-o Dpkg::x\n' }), none), /not a Debian package name/);
    refused(() => detectRepository(repo({ 'apt.txt': 'a\n'.repeat(600_000) }), none), /apt\.txt is 1\.1 MB: configuration files may be at most 1 MB/);
    refused(() => detectRepository(repo({ 'requirements.txt': { link: '/etc/shadow' } }), none), /requirements\.txt is a symbolic link/);
  });

  it('requirements.txt installs before the copy unless it names files of the repository', () => {
    assert.equal(detectRepository(repo({ 'requirements.txt': 'numpy>=1\n# c\n' }), none).python?.local, false);
    for (const local of ['-r other.txt\n', '-e .\n', './pkg\n', 'pkg @ file:///x\n']) {
      assert.equal(detectRepository(repo({ 'requirements.txt': local }), none).python?.local, true, local);
    }
  });

  it('Pipfile.lock pins (or Pipfile ranges) become requirement lines, over requirements.txt', () => {
    const lock = JSON.stringify({ default: { requests: { version: '==2.31.0' } }, develop: { pytest: { version: '==8.0.0' } } });
    const fromLock = detectRepository(repo({ 'Pipfile.lock': lock, Pipfile: '[packages]\nrequests = "*"\n', 'requirements.txt': 'x\n' }), none);
    assert.deepEqual(fromLock.python?.lines, ['requests==2.31.0', 'pytest==8.0.0']);
    assert.match(fromLock.notes.join('\n'), /requirements\.txt is not/);
    const fromFile = detectRepository(repo({ Pipfile: '[packages]\nrequests = "*"\nnumpy = ">=1.2"\nrich = {version = "==13.0", extras = ["jupyter"]}\n[dev-packages]\nmine = {path = ".", editable = true}\n' }), none);
    assert.deepEqual(fromFile.python?.lines, ['requests', 'numpy>=1.2', 'rich[jupyter]==13.0', '-e .']);
    assert.equal(fromFile.python?.local, true);
    refused(() => detectRepository(repo({ Pipfile: '[packages\n' }), none), /Pipfile is not valid TOML/);
  });

  it('runtime.txt: Python 3 (Debian\'s 3.11) or R; environment.yml and Project.toml need configuration', () => {
    assert.match(detectRepository(repo({ 'runtime.txt': 'python-3.10\n' }), none).notes[0], /Python 3\.11, which is used/);
    refused(() => detectRepository(repo({ 'runtime.txt': 'python-2.7\n' }), none), /asks for Python 2/);
    assert.deepEqual(detectRepository(repo({ 'runtime.txt': 'r-4.3-2024-01-01\n', 'install.R': 'x <- 1\n' }), none).r, { installR: 'install.R', description: false });
    assert.deepEqual(detectRepository(repo({ DESCRIPTION: 'Package: x\n' }), none).r, { installR: undefined, description: true });
    refused(() => detectRepository(repo({ 'environment.yml': 'dependencies: []\n' }), none), /set environments\.conda\.base_image/);
    assert.equal(detectRepository(repo({ 'environment.yml': 'dependencies: []\n' }), { ...none, condaConfigured: true }).condaFile, 'environment.yml');
    refused(() => detectRepository(repo({ 'Project.toml': '[deps]\n' }), none), /set environments\.julia_apt_package/);
    refused(() => detectRepository(repo({ 'default.nix': '{}' }), none), /Nix environments are not supported/);
    refused(() => detectRepository(repo({ 'runtime.txt': 'ruby-3\n' }), none), /not a runtime Plasma knows/);
  });
});

describe('the rendered Dockerfile', () => {
  const plan = detectRepository(repo({
    'binder/apt.txt': 'figlet\n', 'binder/requirements.txt': 'numpy\n', 'binder/postBuild': '#!/bin/sh\n', 'binder/start': '#!/bin/sh\n', 'binder/install.R': 'x <- 1\n',
  }), none);
  const { dockerfile, files } = renderDockerfile(plan, { ...render, aptMirror: 'http://mirror.example/debian', pipIndexUrl: 'http://127.0.0.1:1/simple/', buildArgNames: ['YEAR'] });
  const lines = dockerfile.split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));

  it('puts the dependency layers before the copy of the repository, and postBuild after it', () => {
    const copy = at(/^COPY --chown=jovyan:jovyan src\/ \/home\/jovyan\/$/);
    assert.ok(copy > 0);
    for (const dep of [/xargs -a \/tmp\/plasma\/apt\.txt apt-get install/, /pip install --no-cache-dir -r \/tmp\/plasma\/requirements\.txt/, /Rscript install\.R/, /r-base-core r-cran-irkernel/]) {
      const i = at(dep);
      assert.ok(i > 0 && i < copy, `${dep} comes before the repository copy`);
    }
    assert.ok(at(/^RUN chmod \+x binder\/postBuild && \.\/binder\/postBuild$/) > copy);
    assert.ok(at(/^ARG YEAR$/) > copy, 'build arguments are declared after the cached layers');
    assert.ok(at(/^USER jovyan$/) < at(/pip install/), 'pip runs as the notebook user');
    assert.ok(at(/^USER root$/) < at(/apt-get install/), 'apt runs as root');
    assert.equal(lines[at(/^ENV R2D_ENTRYPOINT=/)], 'ENV R2D_ENTRYPOINT=/home/jovyan/binder/start');
  });

  it('takes package sources from the configuration as build arguments, not as text', () => {
    assert.ok(at(/^ARG PLASMA_APT_MIRROR$/) > 0 && at(/^ARG PLASMA_APT_MIRROR$/) < at(/apt-get install/));
    assert.ok(at(/^ARG PIP_INDEX_URL$/) > 0 && at(/^ARG PIP_INDEX_URL$/) < at(/pip install/));
    assert.doesNotMatch(dockerfile, /mirror\.example|127\.0\.0\.1/);
    assert.equal(files['plasma/apt.txt'], 'figlet\n');
    assert.equal(files['plasma/requirements.txt'], 'numpy\n');
  });

  it('labels are one LABEL step with every value quoted and $ escaped', () => {
    const labels = environmentLabels({ name: 'x', displayName: 'Costs $5 "now"', description: 'a\\b', repo: 'r', ref: 'HEAD', memory: null, cpu: 1.5, buildArgs: { A: '1' } },
      { image: 'p/x:HEAD', commit: 'c', owner: 'o', builtAt: '2026-12-01T10:00:00.000Z', version: '0.1.0' });
    const line = labelInstruction(labels);
    assert.match(line, /"plasma\.environment\.display_name"="Costs \\\$5 \\"now\\""/);
    assert.match(line, /"plasma\.environment\.description"="a\\\\b"/);
    assert.equal(labels['tljh_repo2docker.creation_date'], '01/12/2026');
    assert.match(labelInstruction({ k: 'a`b' }, '`'), /"k"="a``b"/);
    const read = readEnvironmentLabels(labels)!;
    assert.deepEqual([read.name, read.displayName, read.cpu, read.memory, read.buildArgs, read.source], ['x', 'Costs $5 "now"', 1.5, null, { A: '1' }, 'plasma']);
    assert.equal(readEnvironmentLabels({ 'plasma.base': 'true' }), null);
  });
});

describe('the build context', () => {
  const tarOf = async (dir: string) => {
    const { stream } = buildContext({ repoDir: dir, repoPrefix: 'src', files: { Dockerfile: 'FROM x\n' } });
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  it('is the same bytes for the same tree (so Docker\'s cache holds), keeps links as links and leaves out .git and ignored files', async () => {
    const files = { 'a.txt': 'a', 'sub/b.txt': 'b', '.git/HEAD': 'ref', 'secret.env': 'x', '.dockerignore': '*.env\n', link: { link: '/etc/passwd' } };
    const one = repo(files);
    const two = repo(files);
    fs.utimesSync(path.join(two, 'a.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const [t1, t2] = [await tarOf(one), await tarOf(two)];
    assert.equal(crypto.createHash('sha256').update(t1).digest('hex'), crypto.createHash('sha256').update(t2).digest('hex'));
    const text = t1.toString('latin1');
    assert.ok(text.includes('src/sub/b.txt') && text.includes('src/a.txt'));
    assert.ok(!text.includes('.git/HEAD') && !text.includes('secret.env'));
    assert.ok(!text.includes('root:x:0:0'), 'the link target is not read');
  });
});

describe('a build log in bounded memory', () => {
  it('keeps the head and the tail of 20 MB and cuts out credentials', () => {
    const log = new BuildLog(1024, 4096, ['hunter22']);
    let live = 0;
    log.on('text', (t: string) => (live += t.length));
    log.append('first line with hunter22 in it\n');
    for (let i = 0; i < 20_000; i++) log.append(`${String(i).padStart(6, '0')} ${'x'.repeat(1000)}\n`);
    log.append('the last line\n');
    const text = log.text();
    assert.ok(text.length < 1024 + 4096 + 100, `${text.length} characters kept`);
    assert.match(text, /^first line with \[redacted\] in it/);
    assert.match(text, /characters of log left out/);
    assert.match(text, /the last line\n$/);
    assert.ok(!text.includes('hunter22'));
    assert.ok(live > 20_000_000, 'everything was passed on live');
  });
});
