import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  BuildInputError, folderFor, imageNameFor, nameFromRepository, parseBuildArgs, parseCpuLimit, parseCredentials, parseDisplayName,
  parseMemoryLimit, parseName, parseRef, parseRepository,
} from '../../src/builder/index.ts';

function refused(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BuildInputError, String(err));
    assert.equal(err.field, field);
    assert.match(err.message, message);
    return true;
  });
}

describe('what a teacher types when adding an environment', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-roots-'));
  fs.mkdirSync(path.join(root, 'course.git'));
  fs.symlinkSync('/etc', path.join(root, 'escape'));

  it('accepts https, http and git URLs, and takes credentials out of the URL', () => {
    assert.deepEqual(parseRepository('https://git.example.edu/course/intro.git', []), { source: { kind: 'remote', url: 'https://git.example.edu/course/intro.git' }, credentials: undefined });
    assert.equal(parseRepository('git://127.0.0.1:9418/x.git', []).source.url, 'git://127.0.0.1:9418/x.git');
    const withCreds = parseRepository('https://teacher:s%3Acret@git.example.edu/private.git#frag', []);
    assert.equal(withCreds.source.url, 'https://git.example.edu/private.git');
    assert.deepEqual(withCreds.credentials, { username: 'teacher', password: 's:cret' });
  });

  it('refuses remote helpers, options, other schemes and control characters', () => {
    refused(() => parseRepository('ext::sh -c touch% /tmp/x', []), 'repo', /remote helpers such as ext::/);
    refused(() => parseRepository('fd::3', []), 'repo', /remote helpers/);
    refused(() => parseRepository('--upload-pack=touch /tmp/x', []), 'repo', /must not start with "-"/);
    refused(() => parseRepository('ssh://git@host/x.git', []), 'repo', /ssh URLs are not supported/);
    refused(() => parseRepository('git@github.com:org/repo.git', []), 'repo', /not a URL/);
    refused(() => parseRepository('https://host/x\n--upload-pack=y', []), 'repo', /control characters/);
    refused(() => parseRepository('', []), 'repo', /must not be empty/);
    refused(() => parseRepository(42, []), 'repo', /must be a string/);
    refused(() => parseRepository('git://user:pw@host/x', []), 'repo', /cannot carry credentials/);
  });

  it('accepts local paths and file:// URLs only under environments.local_roots, links resolved', () => {
    const real = fs.realpathSync(path.join(root, 'course.git'));
    assert.deepEqual(parseRepository(path.join(root, 'course.git'), [root]).source, { kind: 'local', url: real, path: real });
    assert.equal(parseRepository(`file://${root}/course.git`, [root]).source.url, real);
    refused(() => parseRepository('file:///etc', [root]), 'repo', /under environments\.local_roots/);
    refused(() => parseRepository('/etc', []), 'repo', /once environments\.local_roots names/);
    refused(() => parseRepository(`${root}/../../etc`, [root]), 'repo', /local_roots/);
    refused(() => parseRepository(path.join(root, 'escape'), [root]), 'repo', /leads outside environments\.local_roots through a link/);
    refused(() => parseRepository(path.join(root, 'missing'), [root]), 'repo', /does not exist/);
  });

  it('refs are branch, tag or commit names, never options', () => {
    assert.equal(parseRef(undefined), 'HEAD');
    assert.equal(parseRef('feature/week-2'), 'feature/week-2');
    assert.equal(parseRef('3f0c5d1'), '3f0c5d1');
    refused(() => parseRef('--output=/tmp/x'), 'ref', /must not start with "-"/);
    for (const bad of ['a..b', 'a b', 'x.lock', 'a//b', 'trailing/', '@{-1}', '~1']) refused(() => parseRef(bad), 'ref', /is not a branch, tag or commit/);
  });

  it('names are derived from the URL as tljh-repo2docker does, and validated when given', () => {
    assert.equal(nameFromRepository({ kind: 'remote', url: 'https://github.com/plasmabio/Template-Python.git' }, []), 'plasmabio-template-python');
    assert.equal(nameFromRepository({ kind: 'local', url: `${root}/course.git`, path: `${root}/course.git` }, [root]), 'course');
    assert.equal(parseName('intro_2026-a'), 'intro_2026-a');
    for (const bad of ['a/b', '..', 'a b', 'A', '-x', 'é']) refused(() => parseName(bad), 'name', /invalid name/);
    refused(() => parseName('x'.repeat(64)), 'name', /too long/);
  });

  it('display names become one safe folder name', () => {
    assert.equal(parseDisplayName('Intro to Python: week 1', 'x'), 'Intro to Python: week 1');
    assert.equal(folderFor('Intro to Python: week 1'), 'Intro to Python- week 1');
    assert.equal(folderFor('a/b\\c'), 'a-b-c');
    assert.equal(parseDisplayName('', 'fallback'), 'fallback');
    refused(() => parseDisplayName('../../etc', 'x'), 'display_name', /folder name/);
    refused(() => parseDisplayName('.hidden', 'x'), 'display_name', /must not start with "\."/);
    refused(() => parseDisplayName('two\nlines', 'x'), 'display_name', /control characters/);
  });

  it('limits: sizes in Docker\'s units, positive CPU counts', () => {
    assert.equal(parseMemoryLimit('2g'), '2G');
    assert.equal(parseMemoryLimit('512M'), '512M');
    assert.equal(parseMemoryLimit(''), null);
    assert.equal(parseMemoryLimit(2), '2G', 'a bare number is gigabytes, as tljh-repo2docker\'s form sends');
    refused(() => parseMemoryLimit('lots'), 'memory', /size such as 512M/);
    refused(() => parseMemoryLimit('1M'), 'memory', /at least 64M/);
    assert.equal(parseCpuLimit('1.5'), 1.5);
    assert.equal(parseCpuLimit(null), null);
    for (const bad of [0, -1, 'two', Infinity, 1000]) assert.throws(() => parseCpuLimit(bad), BuildInputError);
  });

  it('build arguments are KEY=VALUE lines or an object of one-line values', () => {
    assert.deepEqual(parseBuildArgs('A=1\n# comment\n\nB = x=y\r\n'), { A: '1', B: ' x=y' });
    assert.deepEqual(parseBuildArgs({ YEAR: '2026' }), { YEAR: '2026' });
    refused(() => parseBuildArgs('A=1\nRUN touch /tmp/x'), 'buildargs', /line 2 is not KEY=VALUE/);
    refused(() => parseBuildArgs({ A: '1\nRUN touch /tmp/x' }), 'buildargs', /one line/);
    refused(() => parseBuildArgs({ 'A B': '1' }), 'buildargs', /not a valid name/);
    refused(() => parseBuildArgs({ PIP_INDEX_URL: 'http://evil' }), 'buildargs', /set by Plasma itself/);
    refused(() => parseBuildArgs({ A: 1 }), 'buildargs', /must be a string/);
  });

  it('credentials: a password is needed, and never a newline', () => {
    assert.equal(parseCredentials(undefined, undefined), undefined);
    assert.deepEqual(parseCredentials('', 'tok'), { username: 'git', password: 'tok' });
    refused(() => parseCredentials('teacher', ''), 'password', /password or token is needed/);
    refused(() => parseCredentials('teacher', 'a\nb'), 'password', /control characters/);
  });

  it('image names follow tljh-repo2docker: <prefix><name>:<ref>, commits cut to 7', () => {
    assert.equal(imageNameFor('plasma-env/', 'intro', 'HEAD'), 'plasma-env/intro:HEAD');
    assert.equal(imageNameFor('', 'intro', 'feature/week-2'), 'intro:feature-week-2');
    assert.equal(imageNameFor('p/', 'intro', 'a'.repeat(40)), 'p/intro:aaaaaaa');
  });
});
