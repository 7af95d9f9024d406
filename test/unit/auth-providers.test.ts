import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapProviderGroups } from '../../src/auth/groups.ts';
import { escapeFilterValue } from '../../src/auth/ldap.ts';
import { ConfigError, parseConfig } from '../../src/config/index.ts';
import type { Repo } from '../../src/db/index.ts';
import { HubUsers } from '../../src/users/index.ts';

describe('identity-provider input', () => {
  it('LDAP filter values are escaped (RFC 4515), so a typed * or ) cannot widen a search', () => {
    assert.equal(escapeFilterValue('a*)(uid=*'), 'a\\2a\\29\\28uid=\\2a');
    assert.equal(escapeFilterValue('back\\slash\u0000'), 'back\\5cslash\\00');
    assert.equal(escapeFilterValue('plain.name'), 'plain.name');
  });

  it('provider groups: through group_map when it has entries, else the valid names lower-cased', () => {
    assert.deepEqual(mapProviderGroups(['Physics 101', 'Chem'], { 'Physics 101': 'physics' }), ['physics']);
    assert.deepEqual(mapProviderGroups(['Chem', 'Staff Room', '../x', 'chem'], {}), ['chem']);
  });

  it('auth.type ldap or oidc needs its section; bad values name the key', () => {
    assert.throws(() => parseConfig({ auth: { type: 'ldap' } }), (e: Error) => e instanceof ConfigError && /auth\.ldap: auth\.type is ldap/.test(e.message));
    assert.throws(() => parseConfig({ auth: { type: 'oidc', oidc: { issuer: 'https://idp.example.edu', client_id: 'x', client_secret: 'a', client_secret_file: '/etc/s' } } }),
      /auth\.oidc\.client_secret_file: set client_secret or client_secret_file, not both/);
    assert.throws(() => parseConfig({ auth: { ldap: { url: 'ldaps://h', user_search_base: 'dc=x', start_tls: true } } }), /auth\.ldap\.start_tls: start_tls is for ldap:\/\/ URLs/);
    assert.throws(() => parseConfig({ auth: { group_map: { Staff: 'Not A Group' } } }), /auth\.group_map\.Staff: a UNIX group name/);
    assert.throws(() => parseConfig({ auth: { banned_users: ['Bad Name'] } }), /auth\.banned_users\.0: a user name/);
  });

  it('banned and allowed users (tljh-config users.banned, users.allowed), read live', () => {
    const config = parseConfig({ auth: { admin_users: ['boss'], allowed_users: ['alice'], banned_users: ['mallory'] } });
    const users = new HubUsers(null as unknown as Repo, config.auth, config.environments);
    assert.equal(users.loginRefusal('alice'), null);
    assert.equal(users.loginRefusal('boss'), null, 'admins are always allowed');
    assert.equal(users.loginRefusal('bob'), 'This account may not use Plasma.');
    assert.equal(users.loginRefusal('mallory'), 'This account is banned from Plasma.');
    config.auth.banned_users = ['alice'];
    assert.equal(users.loginRefusal('alice'), 'This account is banned from Plasma.', 'a reload applies at once');
  });
});
