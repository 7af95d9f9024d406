import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Browser, xsrfOf } from '../helpers/browser.ts';
import { docker, dockerOk, removeUserContainers, removeImagesWithPrefix } from '../helpers/docker.ts';
import { addEnvironment } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { Stack } from '../helpers/stack.ts';
import { createSystemUser, removeSystemGroup, removeSystemUser } from '../helpers/system-users.ts';

const CLASS = 'pt-permclass';
const TEACHERS = 'pt-permteach';
const INSIDE = 'pt-perm-in';
const OUTSIDE = 'pt-perm-out';
const TEACHER = 'pt-perm-teach';
const PASSWORD = 'Perm-user-1!';
const PREFIX = 'plasma-test/perm-';
const users = [INSIDE, OUTSIDE, TEACHER];

// Issue 11, must-show 5: who may see and start which environment, checked in the hub for every kind of start.
describe('environment permissions', () => {
  const repos = new GitServer();
  const stack = new Stack({
    config: {
      auth: { type: 'pam' },
      spawner: { type: 'docker', named_servers: { enabled: true }, docker: { network: 'host', stop_timeout: 1 } },
      environments: { build_network: 'host', image_prefix: PREFIX, local_roots: [repos.root], groups: [CLASS, TEACHERS], builder_groups: [TEACHERS] },
    },
  });
  const tokens: Record<string, string> = {};

  before(async () => {
    removeImagesWithPrefix(PREFIX);
    repos.commit('course', { 'lesson.md': '# lesson\n' });
    repos.commit('teacher-env', { 'draft.md': '# draft\n' });
    createSystemUser(INSIDE, PASSWORD, [CLASS]);
    createSystemUser(OUTSIDE, PASSWORD);
    createSystemUser(TEACHER, PASSWORD, [TEACHERS]);
    await stack.start();
    // Users appear in the hub (and their UNIX groups with them) when they first log in.
    for (const user of users) {
      const browser = new Browser(stack.publicUrl);
      assert.equal((await browser.login(user, PASSWORD)).status, 200, `${user} logs in`);
      tokens[user] = await stack.cli(['token', user]);
    }
    await addEnvironment(stack, { repo: repos.path('course'), display_name: 'Course' });
    assert.equal((await stack.api('POST', '/plasma/environments/course/groups', { json: { groups: [CLASS] } })).status, 200);
  });

  after(async () => {
    await stack.stop();
    removeUserContainers(users);
    removeImagesWithPrefix(PREFIX);
    for (const user of users) removeSystemUser(user);
    removeSystemGroup(CLASS);
    removeSystemGroup(TEACHERS);
    repos.stop();
  });

  it('a member sees the environment in the API and on the spawn page, and can start it', async () => {
    const listed = await stack.api('GET', '/plasma/environments', { token: tokens[INSIDE] });
    assert.deepEqual(listed.data.map((e: any) => e.name), ['course']);
    assert.equal(listed.data[0].groups, undefined, 'students do not see the permission details');
    const browser = new Browser(stack.publicUrl);
    await browser.login(INSIDE, PASSWORD);
    const spawn = await browser.appView('/hub/spawn', '/hub/api/plasma/environments');
    assert.deepEqual(spawn.data.map((e: any) => e.display_name), ['Course'], 'the spawn page lists it');
    const start = await stack.api('POST', `/users/${INSIDE}/server`, { json: { environment: 'course' }, token: tokens[INSIDE] });
    assert.ok([201, 202].includes(start.status), start.text);
    assert.equal((await stack.waitReady(INSIDE, '', tokens[INSIDE])).at(-1).ready, true);
    assert.equal((await stack.api('DELETE', `/users/${INSIDE}/server`, { token: tokens[INSIDE] })).status, 204);
  });

  it('a user outside the allowed groups sees nothing and gets 403 when forcing it, for default and named servers', async () => {
    assert.deepEqual((await stack.api('GET', '/plasma/environments', { token: tokens[OUTSIDE] })).data, []);
    assert.equal((await stack.api('GET', '/plasma/environments/course', { token: tokens[OUTSIDE] })).status, 404);
    const browser = new Browser(stack.publicUrl);
    await browser.login(OUTSIDE, PASSWORD);
    const spawn = await browser.appView('/hub/spawn', '/hub/api/plasma/environments');
    assert.deepEqual(spawn.data, [], 'the spawn page lists nothing');
    for (const path of [`/users/${OUTSIDE}/server`, `/users/${OUTSIDE}/servers/extra`]) {
      const forced = await stack.api('POST', path, { json: { environment: 'course' }, token: tokens[OUTSIDE] });
      assert.equal(forced.status, 403, `${path}: ${forced.text}`);
      assert.match(forced.data.message, /not granted to any of your groups/);
      const byImage = await stack.api('POST', path, { json: { image: `${PREFIX}course:HEAD` }, token: tokens[OUTSIDE] });
      assert.equal(byImage.status, 403, `${path} by image: ${byImage.text}`);
    }
    // The form is checked the same way.
    const viaForm = await browser.go('/hub/spawn', { form: { _xsrf: xsrfOf(spawn.page.text), environment: 'course' } });
    assert.equal(viaForm.status, 403);
    // CVE-2023-48311 (tljh-repo2docker): its spawn form named the image itself, in the body or as ?image=.
    for (const [query, image] of [['', `${PREFIX}course:HEAD`], [`?image=${encodeURIComponent(`${PREFIX}course:HEAD`)}`, ''], ['', 'plasma/base:latest']]) {
      const form: Record<string, string> = { _xsrf: xsrfOf(spawn.page.text) };
      if (image) form.image = image;
      const res = await browser.go(`/hub/spawn${query}`, { form });
      assert.ok(res.status === 403 || res.status === 400, `image ${image || query}: ${res.status}`);
    }
    // A start that names an environment it may not use and an image too is refused, not resolved through the image.
    const both = await stack.api('POST', `/users/${OUTSIDE}/server`, { json: { environment: 'course', image: 'plasma/base:latest' }, token: tokens[OUTSIDE] });
    assert.equal(both.status, 403, both.text);
    assert.equal(dockerOk('inspect', `jupyter-${OUTSIDE}`).code, 1, 'no container was made');
  });

  it('an image that is not an environment is refused for everyone, admins included', async () => {
    const admin = await stack.api('POST', `/users/${INSIDE}/servers/raw`, { json: { image: 'plasma/debian:bookworm' } });
    assert.equal(admin.status, 400, admin.text);
    assert.match(admin.data.message, /is not a built environment/);
    for (const image of ['plasma/debian:bookworm', 'plasma/base:latest', 'docker.io/library/alpine']) {
      const res = await stack.api('POST', `/users/${INSIDE}/server`, { json: { image }, token: tokens[INSIDE] });
      assert.equal(res.status, 400, `${image}: ${res.text}`);
    }
    assert.equal((await stack.api('POST', `/users/${INSIDE}/server`, { json: { environment: 'nope' }, token: tokens[INSIDE] })).status, 400);
    assert.equal((await stack.api('POST', `/users/${INSIDE}/server`, { json: { environment: 42 }, token: tokens[INSIDE] })).status, 400);
    assert.equal(docker('ps', '-q', '--filter', `label=plasma.user=${INSIDE}`), '', 'nothing started');
  });

  it('a member of builder_groups can add and rebuild environments but cannot change permissions', async () => {
    const added = await addEnvironment(stack, { repo: repos.path('teacher-env'), display_name: 'Teacher draft' }, { token: tokens[TEACHER] });
    assert.equal(added.accepted.environment.owner, TEACHER);
    const all = await stack.api('GET', '/plasma/environments', { token: tokens[TEACHER] });
    assert.deepEqual(all.data.map((e: any) => e.name), ['course', 'teacher-env'], 'builders see every environment');
    assert.ok(Array.isArray(all.data[0].groups));
    // A teacher may try what they built, but not what others built for groups they are not in.
    const own = await stack.api('POST', `/users/${TEACHER}/server`, { json: { environment: 'teacher-env' }, token: tokens[TEACHER] });
    assert.ok([201, 202].includes(own.status), own.text);
    assert.equal((await stack.waitReady(TEACHER, '', tokens[TEACHER])).at(-1).ready, true);
    assert.equal((await stack.api('DELETE', `/users/${TEACHER}/server`, { token: tokens[TEACHER] })).status, 204);
    assert.equal((await stack.api('POST', `/users/${TEACHER}/servers/other`, { json: { environment: 'course' }, token: tokens[TEACHER] })).status, 403);

    const put = await stack.api('PUT', '/plasma/permissions', { json: { permissions: { 'teacher-env': [TEACHERS] } }, token: tokens[TEACHER] });
    assert.equal(put.status, 403, put.text);
    const grant = await stack.api('POST', '/plasma/environments/teacher-env/groups', { json: { groups: [TEACHERS] }, token: tokens[TEACHER] });
    assert.equal(grant.status, 403);
    assert.deepEqual((await stack.api('GET', '/plasma/permissions')).data.permissions, { course: [CLASS], 'teacher-env': [] }, 'nothing changed');
    // A student has no builder rights at all.
    const student = await stack.api('POST', '/plasma/environments', { json: { repo: repos.path('course'), name: 'sneaky' }, token: tokens[INSIDE] });
    assert.equal(student.status, 403);
  });

  it('an admin replaces the whole mapping at once; bad mappings are refused and change nothing', async () => {
    const bad = [
      { permissions: { course: ['no-such-group'] } },
      { permissions: { 'no-such-env': [CLASS] } },
      { permissions: { course: 'pt-permclass' } },
      [{ name: 'course' }],
      { other: 1 },
    ];
    for (const body of bad) {
      const res = await stack.api('PUT', '/plasma/permissions', { json: body });
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.text}`);
    }
    assert.deepEqual((await stack.api('GET', '/plasma/permissions')).data.permissions, { course: [CLASS], 'teacher-env': [] });
    // tljh-plasma's list form replaces the table.
    const saved = await stack.api('POST', '/plasma/permissions', { json: [{ name: 'teacher-env', value: CLASS }, { name: 'teacher-env', value: TEACHERS }] });
    assert.equal(saved.status, 200, saved.text);
    assert.deepEqual(saved.data.permissions, { course: [], 'teacher-env': [CLASS, TEACHERS] });
    assert.deepEqual((await stack.api('GET', '/plasma/environments', { token: tokens[INSIDE] })).data.map((e: any) => e.name), ['teacher-env']);
    const refused = await stack.api('POST', `/users/${INSIDE}/server`, { json: { environment: 'course' }, token: tokens[INSIDE] });
    assert.equal(refused.status, 403, 'a revoked environment cannot be started');
  });
});
