import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { launchBrowser, signIn } from '../helpers/chromium.ts';
import { dockerOk } from '../helpers/docker.ts';
import { addEnvironment } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { Stack } from '../helpers/stack.ts';
import { removeSystemGroup, removeSystemUser } from '../helpers/system-users.ts';

const GROUPS = ['pt-clsga', 'pt-clsgb', 'pt-clsgc'];
const NAMES = Array.from({ length: 20 }, (_, i) => `pt-cls${String(i + 1).padStart(2, '0')}`);
const API_NAMES = ['pt-clsapi1', 'pt-clsapi2', 'pt-clsapi3'];
const PASSWORD = (name: string) => `Pw-${name}-2026`;
const PREFIX = 'plasma-test/clsbatch-';

function exists(db: 'passwd' | 'group', name: string): boolean {
  try {
    execFileSync('getent', [db, name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function csv(names: string[], row: (name: string, i: number) => string = (n, i) => `${n},${PASSWORD(n)},${GROUPS[i % 3]}`): string {
  return ['username,password,group', ...names.map(row)].join('\n') + '\n';
}

// Issue 14, must-show 1 and 2: users in batches from CSV (CLI and API), home usage, Plasma's limits, setquota.
describe('users in batches, disk usage and limits', () => {
  const repos = new GitServer();
  const homes = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-cls-batch-homes-'));
  fs.chmodSync(homes, 0o755); // as /home is: users reach their own homes
  const files = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-cls-batch-csv-'));
  const stack = new Stack({
    config: {
      auth: { type: 'pam' },
      users: { home_base: homes, disk: { usage_interval: 0 } },
      environments: { build_network: 'host', image_prefix: PREFIX, local_roots: [repos.root] },
    },
  });
  const file = (name: string, text: string) => {
    const f = path.join(files, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const cleanup = () => {
    for (const n of [...NAMES, ...API_NAMES]) removeSystemUser(n);
    for (const g of GROUPS) removeSystemGroup(g);
  };

  before(async () => {
    cleanup();
    dockerOk('rmi', '-f', `${PREFIX}course-a:HEAD`);
    repos.commit('course-a', { 'a.md': '# a\n' });
    await stack.start();
    await addEnvironment(stack, { repo: repos.path('course-a') });
  });
  after(async () => {
    await stack.stop();
    cleanup();
    dockerOk('rmi', '-f', `${PREFIX}course-a:HEAD`);
    await repos.stop();
    fs.rmSync(homes, { recursive: true, force: true });
    fs.rmSync(files, { recursive: true, force: true });
  });

  it('a CSV with a bad row on line 7 creates nothing and names line 7 (and every other bad line)', async () => {
    const bad = csv(NAMES, (n, i) => (i === 5 ? `${n},${PASSWORD(n)},Not A Group` : i === 9 ? `${n},short,${GROUPS[0]}` : `${n},${PASSWORD(n)},${GROUPS[i % 3]}`));
    await assert.rejects(stack.cli(['users', 'import', file('bad.csv', bad)]), (err: Error) => {
      assert.match(err.message, /line 7: group "Not A Group" is not a valid UNIX group name/);
      assert.match(err.message, /line 11: password: password must have at least 8 characters/);
      assert.match(err.message, /nothing was changed/);
      return true;
    });
    assert.ok(NAMES.every((n) => !exists('passwd', n)), 'no user was created');
    assert.ok(GROUPS.every((g) => !exists('group', g)), 'no group was created');
    await assert.rejects(stack.cli(['users', 'import', file('header.csv', 'user,password,group,shoe\npt-cls01,x,y\n')]), /line 1: unknown columns "user", "shoe"/);
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const out = await stack.cli(['users', 'import', file('class.csv', csv(NAMES)), '--dry-run']);
    assert.match(out, /would do \(20 users; nothing was changed\)/);
    for (const g of GROUPS) assert.match(out, new RegExp(`create group ${g}`));
    assert.match(out, new RegExp(`create user pt-cls01 \\(home ${homes}/pt-cls01, groups pt-clsga\\)`));
    assert.ok(!exists('passwd', 'pt-cls01'));
  });

  it('a failure half-way undoes what that run made', async () => {
    // Line 4's home cannot be made (in /proc/sys, which exists): the users of lines 2 and 3 and the groups are undone.
    const text = csv(NAMES.slice(0, 4), (n, i) => `${n},${PASSWORD(n)},${GROUPS[i % 3]}${i === 2 ? ',/proc/sys/plasma-nope' : ','}`).replace('username,password,group', 'username,password,group,home');
    await assert.rejects(stack.cli(['users', 'import', file('half.csv', text)]), /useradd|home/);
    assert.ok(NAMES.slice(0, 4).every((n) => !exists('passwd', n)), 'the users made before the failure were removed');
    assert.ok(GROUPS.every((g) => !exists('group', g)), 'and the groups');
    assert.ok(!fs.existsSync(path.join(homes, 'pt-cls01')), 'and their homes');
    assert.equal((await stack.api('GET', '/users/pt-cls01')).status, 404, 'and the hub users');
  });

  it('20 users in 3 groups: one logs in with PAM and is offered their group\'s environment', async () => {
    const out = await stack.cli(['users', 'import', file('class.csv', csv(NAMES))]);
    assert.match(out, /imported 20 users; new groups: pt-clsga, pt-clsgb, pt-clsgc/);
    for (const [i, n] of NAMES.entries()) {
      assert.ok(exists('passwd', n), `${n} exists`);
      assert.match(execFileSync('id', ['-nG', n], { encoding: 'utf8' }), new RegExp(`\\b${GROUPS[i % 3]}\\b`));
      assert.equal(fs.statSync(path.join(homes, n)).uid, Number(execFileSync('id', ['-u', n], { encoding: 'utf8' })));
    }
    assert.equal((await stack.api('POST', '/plasma/environments/course-a/groups', { json: { groups: ['pt-clsga'] } })).status, 200);
    const browser = new Browser(stack.publicUrl);
    assert.equal((await browser.login('pt-cls01', PASSWORD('pt-cls01'))).status, 200, 'PAM login with the CSV password');
    const token = await stack.cli(['token', 'pt-cls01']);
    assert.deepEqual((await stack.api('GET', '/plasma/environments', { token })).data.map((e: any) => e.name), ['course-a']);
    const other = await stack.cli(['token', 'pt-cls02']);
    assert.deepEqual((await stack.api('GET', '/plasma/environments', { token: other })).data, [], 'pt-cls02 is in pt-clsgb');
  });

  it('home usage is shown for a user who wrote 5 MB; over the hard limit no server starts, and the user is told why', async () => {
    const home = path.join(homes, 'pt-cls02');
    fs.writeFileSync(path.join(home, 'data.bin'), Buffer.alloc(5 * 1024 * 1024, 1));
    execFileSync('chown', ['pt-cls02:', path.join(home, 'data.bin')]);
    assert.match(await stack.cli(['users', 'usage', 'pt-cls02']), /^pt-cls02\t5(\.\d)?M\t/);
    const listed = JSON.parse(await stack.cli(['users', 'list', '--json'])).find((u: any) => u.name === 'pt-cls02');
    assert.ok(listed.disk.bytes >= 5 * 1024 * 1024, JSON.stringify(listed));
    assert.match(await stack.cli(['users', 'list']), /pt-cls02\t\t5(\.\d)?M/);

    await stack.cli(['users', 'quota', 'pt-cls02', '--soft', '2M', '--hard', '4M']);
    const api = await stack.api('GET', '/plasma/users/pt-cls02');
    assert.equal(api.data.disk.hard_limit, 4 * 1024 * 1024);
    assert.equal(api.data.disk.over_hard, true);
    const token = await stack.cli(['token', 'pt-cls02']);
    const start = await stack.api('POST', '/users/pt-cls02/server', { token });
    assert.equal(start.status, 403);
    assert.match(start.data.message, /Your home folder uses 5(\.\d)?M, more than your limit of 4M: delete some files/);
    // The web UI's spawn page says so too, in the same words (Chromium).
    const chromium = await launchBrowser();
    try {
      const page = await chromium.newPage();
      await signIn(page, stack.hubPagesUrl, 'pt-cls02', PASSWORD('pt-cls02'), '/hub/spawn');
      const alert = page.getByRole('alert').filter({ hasText: 'Your home folder uses' });
      assert.match(await alert.textContent() ?? '', /uses 5(\.\d)?M, more than your limit of 4M: delete some files/);

      // Under the hard limit but over the soft one: a warning, and the server starts.
      fs.truncateSync(path.join(home, 'data.bin'), 3 * 1024 * 1024);
      const ok = await stack.api('POST', '/users/pt-cls02/server', { token });
      assert.ok([201, 202].includes(ok.status), ok.text);
      assert.equal((await stack.waitReady('pt-cls02', '', token)).at(-1).ready, true);
      await page.reload();
      assert.match(await alert.textContent() ?? '', /uses 3M, more than the 2M you should stay under \(the limit is 4M\)/);
    } finally {
      await chromium.close();
    }
    assert.equal((await stack.api('DELETE', '/users/pt-cls02/server', { token })).status, 204);
  });

  it('setquota on this kernel gives the clear message and changes nothing', async () => {
    await assert.rejects(stack.cli(['users', 'quota', 'pt-cls03', '--soft', '1M', '--hard', '2M', '--setquota']), (err: Error) => {
      assert.match(err.message, /setquota could not set a quota for pt-cls03 on \//);
      assert.match(err.message, /is not mounted with user quotas \(usrquota\)/);
      assert.match(err.message, /Plasma's own limits .* work without kernel quotas/);
      assert.match(err.message, /Nothing was changed/);
      return true;
    });
    assert.equal((await stack.api('GET', '/plasma/users/pt-cls03')).data.disk.hard_limit, null);
  });

  it('removing them all leaves no user, group member or home', async () => {
    const dry = await stack.cli(['users', 'remove', path.join(files, 'class.csv'), '--dry-run']);
    assert.match(dry, new RegExp(`remove user pt-cls01 \\(home ${homes}/pt-cls01 kept\\)`));
    const out = await stack.cli(['users', 'remove', path.join(files, 'class.csv'), '--yes']);
    assert.match(out, /removed 20 users and the groups .*pt-clsga.* with their homes/);
    for (const n of NAMES) {
      assert.ok(!exists('passwd', n), `${n} is gone`);
      assert.ok(!fs.existsSync(path.join(homes, n)), `${n}'s home is gone`);
      assert.equal((await stack.api('GET', `/users/${n}`)).status, 404);
    }
    for (const g of GROUPS) assert.ok(!exists('group', g), `${g} is gone`);
    const hubGroups = (await stack.api('GET', '/groups')).data.map((g: any) => g.name);
    assert.ok(!hubGroups.some((g: string) => g.startsWith('pt-cls')), JSON.stringify(hubGroups));
  });

  it('the same through POST /hub/api/plasma/users/import: admin only, line numbers, dry run, import and removal', async () => {
    const bad = csv([...API_NAMES, 'pt-clsapi4', 'pt-clsapi5', 'Bad Name'], (n) => `${n},${PASSWORD(n)},pt-clsga`);
    const refused = await stack.api('POST', '/plasma/users/import', { json: { csv: bad } });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.data.problems, ['line 7: username "Bad Name" is not a valid system user name (lower-case letters, digits, _ . -, starting with a letter or _; at most 32)']);
    assert.ok(!exists('passwd', API_NAMES[0]) && !exists('group', 'pt-clsga'));
    await stack.api('POST', '/users/pt-clsnotadmin');
    const student = await stack.cli(['token', 'pt-clsnotadmin']);
    assert.equal((await stack.api('POST', '/plasma/users/import', { json: { csv: csv(API_NAMES) }, token: student })).status, 403);
    const dry = await stack.api('POST', '/plasma/users/import', { json: { csv: csv(API_NAMES), dry_run: true } });
    assert.equal(dry.status, 200);
    assert.ok(dry.data.steps.includes('create group pt-clsga'));
    assert.ok(!exists('passwd', API_NAMES[0]));
    const done = await stack.api('POST', '/plasma/users/import', { json: { csv: csv(API_NAMES), add_to_environment_groups: true } });
    assert.equal(done.status, 200, `${done.text}\n${fs.readFileSync(stack.hubLog, 'utf8').split('\n').filter((l) => l.includes('"level":50')).join('\n')}`);
    assert.deepEqual(done.data.created, API_NAMES);
    assert.ok(API_NAMES.every((n) => exists('passwd', n)));
    assert.deepEqual((await stack.api('GET', '/plasma/permissions')).data.groups, ['pt-clsga', 'pt-clsgb', 'pt-clsgc'], 'environments.groups applied at once');
    const removed = await stack.api('POST', '/plasma/users/remove', { json: { csv: csv(API_NAMES), remove_homes: true } });
    assert.equal(removed.status, 200, removed.text);
    assert.ok(API_NAMES.every((n) => !exists('passwd', n) && !fs.existsSync(path.join(homes, n))));
    assert.ok(GROUPS.every((g) => !exists('group', g)));
  });
});
