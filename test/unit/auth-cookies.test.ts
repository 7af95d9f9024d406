import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clearTossedCookies, parseCookies } from '../../src/auth/sessions.ts';

// Cookie tossing: a user's server on the hub's origin can set cookies on /hub/ paths; a name sent twice is trusted
// in neither copy, and every copy the browser could hold for the request's path is expired.
describe('hub cookies sent twice', () => {
  it('are left out, others are kept', () => {
    assert.deepEqual(parseCookies('plasma-hub-login=evil; a=1; plasma-hub-login=mine'), { a: '1' });
    assert.deepEqual(parseCookies('plasma-hub-login=x; plasma-hub-login=y; plasma-hub-login=z; b=2'), { b: '2' });
    assert.deepEqual(parseCookies('plasma-hub-login=mine; other=%zz'), { 'plasma-hub-login': 'mine', other: '%zz' });
  });

  it('are expired on the request path and each folder above it', () => {
    const headers = clearTossedCookies('plasma-hub-login=a; plasma-hub-login=b', '/hub/api/users?x=1', false);
    const paths = headers.map((h) => /Path=([^;]+)/.exec(h)![1]).sort();
    assert.deepEqual(paths, ['/', '/hub', '/hub/', '/hub/api', '/hub/api/', '/hub/api/users', '/hub/api/users/']);
    assert.ok(headers.every((h) => h.startsWith('plasma-hub-login=;') && h.includes('Max-Age=0')));
    assert.deepEqual(clearTossedCookies('plasma-hub-login=a; jupyterhub-user-x=1; jupyterhub-user-x=2', '/hub/home', false), [],
      "only the hub's own cookies: a user's server handles its own");
  });
});
