import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { USERNAME_RE } from '../../src/auth/types.ts';
import { containerName } from '../../src/spawner/docker/naming.ts';
import { serverSlug } from '../../src/spawner/naming.ts';

// CVE-2020-15110 class: two (user, server) pairs whose names differ only by escaping never share a container
// or a local server's state file.
describe('server names for containers and run files', () => {
  const hubName = fc.stringMatching(/^[a-z0-9][a-z0-9._@-]{0,20}$/).filter((n) => USERNAME_RE.test(n) && !n.includes('..'));

  it('pairs that the old escaping mapped to one name get different names', () => {
    const collisions: Array<[[string, string], [string, string]]> = [
      [['ab', 'c'], ['ab-c', '']],
      [['a@b', ''], ['a-40b', '']],
      [['a', 'b--c'], ['a--b', 'c']],
      [['a', 'b-c'], ['a-b', 'c']],
      [['ab', ''], ['ab', '_default']],
    ];
    for (const [[u1, s1], [u2, s2]] of collisions) {
      assert.notEqual(containerName(u1, s1), containerName(u2, s2), `${u1}/${s1} vs ${u2}/${s2}`);
      assert.notEqual(serverSlug(u1, s1), serverSlug(u2, s2));
    }
    assert.equal(containerName('pt-alice', ''), 'jupyter-pt-alice', 'the usual names stay as DockerSpawner users know them');
  });

  it('is one-to-one over every valid user and server name, and Docker accepts every name', () => {
    fc.assert(fc.property(hubName, fc.oneof(fc.constant(''), hubName), hubName, fc.oneof(fc.constant(''), hubName), (u1, s1, u2, s2) => {
      const a = containerName(u1, s1);
      assert.match(a, /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
      if (u1 !== u2 || s1 !== s2) assert.notEqual(a, containerName(u2, s2));
    }), { numRuns: 20_000, seed: 15110 });
  });

  it('a user name that spells another pair with the separator is still its own', () => {
    // "-S-" cannot occur in an escaped name: hub names have no upper case.
    assert.notEqual(serverSlug('a-s-b', ''), serverSlug('a', 'b'));
    assert.equal(serverSlug('a', 'b'), 'a-S-b');
  });
});
