import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, expandScopes, tokenScopes, userRoleScopes } from '../../src/auth/scopes.ts';

describe('RBAC scopes (JupyterHub 3 rules)', () => {
  it('a user holds self-scopes filtered to themselves', () => {
    const held = userRoleScopes('alice', false);
    assert.ok(held.has('servers!user=alice'));
    assert.ok(held.has('read:users:name!user=alice'), 'implied subscopes keep the filter');
    assert.ok(!held.has('list:users'));
  });

  it('an admin holds unfiltered admin scopes and their implied ones', () => {
    const held = userRoleScopes('root', true);
    for (const s of ['admin:users', 'users', 'read:users', 'list:users', 'delete:users', 'admin:server_state', 'servers']) assert.ok(held.has(s), s);
  });

  it('no scope is 403, a filter that excludes the target is 404', () => {
    const alice = userRoleScopes('alice', false);
    assert.equal(decide(alice, ['list:users']), 'forbidden');
    assert.equal(decide(alice, ['read:users'], { user: 'bob' }), 'not-found');
    assert.equal(decide(alice, ['read:users'], { user: 'alice' }), 'allowed');
    assert.equal(decide(alice, ['servers'], { user: 'alice', server: 'course' }), 'allowed', 'user= covers named servers');
  });

  it('a server token gets activity and access for its owner only', () => {
    const scopes = tokenScopes([], ['server'], 'alice', false);
    assert.ok(scopes.has('users:activity!user=alice'));
    assert.ok(scopes.has('access:servers!user=alice'));
    assert.ok(!scopes.has('servers!user=alice'), 'a server cannot start or stop servers');
  });

  it('a token cannot hold more than its owner', () => {
    const scopes = tokenScopes(['admin:users', 'read:users!user=alice'], [], 'alice', false);
    assert.ok(!scopes.has('admin:users'));
    assert.ok(scopes.has('read:users!user=alice'));
  });

  it('server filters cover exactly that server', () => {
    const held = expandScopes(['access:servers!server=alice/'], 'alice');
    assert.equal(decide(held, ['access:servers'], { user: 'alice', server: '' }), 'allowed');
    assert.equal(decide(held, ['access:servers'], { user: 'alice', server: 'other' }), 'not-found');
  });
});
