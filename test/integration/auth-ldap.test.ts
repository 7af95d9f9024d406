import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { dockerOk } from '../helpers/docker.ts';
import { addEnvironment } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { LDAP_ADMIN_DN, LDAP_SUFFIX, Slapd } from '../helpers/slapd.ts';
import { Stack } from '../helpers/stack.ts';
import { removeSystemGroup, removeSystemUser } from '../helpers/system-users.ts';
import { TestCa } from '../helpers/tls-ca.ts';

const PHYSICS = 'pt-clsphys';
const STUDENT = 'pt-clsldap1';
const OTHER = 'pt-clsldap2';
const PASSWORD = 'Ldap-stud3nt!';
const BIND_PASSWORD = 'Bind-s3cret-4-ldap';
const PREFIX = 'plasma-test/clsldap-';

function systemUserExists(name: string): boolean {
  try {
    execFileSync('getent', ['passwd', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Issue 14, must-show 4 (LDAP): logins against Debian's slapd over TLS, groups from LDAP to an environment permission.
describe('LDAP logins against slapd', () => {
  const ca = new TestCa();
  const slapd = new Slapd(ca, 'Adm1n-of-slapd');
  const repos = new GitServer();
  const homes = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-cls-homes-'));
  const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-cls-secret-'));
  const bindFile = path.join(secrets, 'bind');
  let stack: Stack;
  let ldap: Record<string, unknown>;

  before(async () => {
    for (const u of [STUDENT, OTHER]) removeSystemUser(u);
    removeSystemGroup(PHYSICS);
    fs.writeFileSync(bindFile, `${BIND_PASSWORD}\n`, { mode: 0o600 });
    await slapd.start([
      { uid: STUDENT, password: PASSWORD, groups: ['Physics 101', 'chemistry'] },
      { uid: OTHER, password: PASSWORD, groups: ['chemistry'] },
      { uid: 'plasma-svc', password: BIND_PASSWORD, groups: [] },
    ]);
    repos.commit('physics', { 'lab.md': '# lab 1\n' });
    ldap = {
      url: slapd.ldapsUrl, ca_file: ca.caCert, bind_dn: `uid=plasma-svc,ou=people,${LDAP_SUFFIX}`, bind_password_file: bindFile,
      user_search_base: `ou=people,${LDAP_SUFFIX}`, group_search_base: `ou=groups,${LDAP_SUFFIX}`,
    };
    stack = new Stack({
      config: {
        auth: { type: 'ldap', ldap, group_map: { 'Physics 101': PHYSICS }, create_system_users: true },
        users: { home_base: homes },
        environments: { build_network: 'host', image_prefix: PREFIX, local_roots: [repos.root] },
      },
    });
    await stack.start();
    await addEnvironment(stack, { repo: repos.path('physics'), display_name: 'Physics lab' });
    assert.equal((await stack.api('POST', `/groups/${PHYSICS}`, { json: {} })).status, 201);
    assert.equal((await stack.api('POST', '/plasma/environments/physics/groups', { json: { groups: [PHYSICS] } })).status, 200);
  });

  after(async () => {
    await stack?.stop();
    await slapd.stop();
    for (const u of [STUDENT, OTHER]) removeSystemUser(u);
    removeSystemGroup(PHYSICS);
    dockerOk('rmi', '-f', `${PREFIX}physics:HEAD`);
    await repos.stop();
    ca.remove();
    fs.rmSync(homes, { recursive: true, force: true });
    fs.rmSync(secrets, { recursive: true, force: true });
  });

  it('plasma auth check binds as the service account', async () => {
    assert.match(await stack.cli(['auth', 'check']), new RegExp(`^ok: bound to ${slapd.ldapsUrl} as uid=plasma-svc`));
  });

  it('a wrong password, an empty one and a name that is not in LDAP are refused', async () => {
    assert.equal((await new Browser(stack.publicUrl).login(STUDENT, 'not-my-password')).status, 403);
    assert.equal((await new Browser(stack.publicUrl).login(STUDENT, '')).status, 403);
    assert.equal((await new Browser(stack.publicUrl).login('pt-clsnobody', PASSWORD)).status, 403);
    assert.equal((await stack.api('GET', `/users/${STUDENT}`)).status, 404, 'no hub user was made');
    assert.ok(!systemUserExists(STUDENT), 'nor a system account');
  });

  it('a student logs in with their LDAP password; their LDAP group maps to the group that may use the environment', async () => {
    const browser = new Browser(stack.publicUrl);
    const res = await browser.login(STUDENT, PASSWORD);
    assert.equal(res.status, 200, res.text.slice(0, 500));
    assert.equal(res.url, '/hub/home');
    const model = (await stack.api('GET', `/users/${STUDENT}`)).data;
    assert.deepEqual(model.groups, [PHYSICS], 'only the mapped group counts (group_map has entries)');

    // auth.create_system_users: the account, its home under users.home_base, and the UNIX group.
    const [, , uid, , , home] = execFileSync('getent', ['passwd', STUDENT], { encoding: 'utf8' }).trim().split(':');
    assert.equal(home, path.join(homes, STUDENT));
    assert.equal(fs.statSync(home).uid, Number(uid));
    assert.match(execFileSync('id', ['-nG', STUDENT], { encoding: 'utf8' }), new RegExp(`\\b${PHYSICS}\\b`));

    const token = await stack.cli(['token', STUDENT]);
    const envs = await stack.api('GET', '/plasma/environments', { token });
    assert.deepEqual(envs.data.map((e: any) => e.name), ['physics'], 'the environment is offered to the student');
  });

  it('a user whose LDAP groups are not mapped is offered nothing', async () => {
    assert.equal((await new Browser(stack.publicUrl).login(OTHER, PASSWORD)).status, 200);
    assert.deepEqual((await stack.api('GET', `/users/${OTHER}`)).data.groups, []);
    const token = await stack.cli(['token', OTHER]);
    assert.deepEqual((await stack.api('GET', '/plasma/environments', { token })).data, []);
  });

  it('a wrong bind password or an untrusted CA: users see a generic message, the log names the key and never the password', async () => {
    for (const [change, key] of [
      [() => fs.writeFileSync(bindFile, 'not-the-bind-password\n'), 'auth.ldap.bind_password'],
      [() => { fs.writeFileSync(bindFile, `${BIND_PASSWORD}\n`); delete ldap.ca_file; }, 'auth.ldap.ca_file'],
    ] as const) {
      change();
      await stack.killHub('SIGTERM');
      stack.writeConfig({ auth: { type: 'ldap', ldap, group_map: { 'Physics 101': PHYSICS }, create_system_users: true } });
      await stack.startHub();
      const res = await new Browser(stack.publicUrl).login(STUDENT, PASSWORD);
      assert.equal(res.status, 503);
      const alert = /role="alert"[^>]*>([^<]*)</.exec(res.text)?.[1] ?? '';
      assert.equal(alert, 'Signing in is not working right now; an administrator has been told.', 'no detail for the user');
      const log = fs.readFileSync(stack.hubLog, 'utf8');
      assert.ok(log.includes(key), `the hub log names ${key}:\n${log.slice(-1500)}`);
      await assert.rejects(stack.cli(['auth', 'check']), (err: Error) => err.message.includes(key) && !err.message.includes(BIND_PASSWORD), `plasma auth check names ${key}`);
      assert.ok(!log.includes(BIND_PASSWORD) && !log.includes(PASSWORD), 'no password in the log');
    }
  });

  it('bad LDAP settings are refused by plasma config, naming the key, and change nothing', async () => {
    const before = fs.readFileSync(path.join(stack.prefix, 'config', 'config.yaml'), 'utf8');
    await assert.rejects(stack.cli(['config', 'set', 'auth.ldap.url', 'http://ldap.example.edu']), /auth\.ldap\.url: an ldap:\/\/ or ldaps:\/\/ URL/);
    await assert.rejects(stack.cli(['config', 'set', 'auth.ldap.user_filter', '(uid=alice)']), /auth\.ldap\.user_filter: must contain \{username\}/);
    await assert.rejects(stack.cli(['config', 'unset', 'auth.ldap']), /auth\.ldap: auth\.type is ldap: set auth\.ldap/);
    assert.equal(fs.readFileSync(path.join(stack.prefix, 'config', 'config.yaml'), 'utf8'), before);
    assert.ok(LDAP_ADMIN_DN); // the admin DN is only used by the helper to check slapd is up
  });
});
