import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { productionPackages } from '../../src/ops/dependencies.ts';

// Issue 13: a release carries the production dependencies only, whichever tree they are linked from.
describe('production dependencies from a lock file', () => {
  const lock = JSON.stringify({
    lockfileVersion: 3,
    packages: {
      '': { name: 'plasma' },
      'node_modules/fastify': {},
      'node_modules/fastify/node_modules/semver': {},
      'node_modules/@mui/material': { dev: true },
      'node_modules/@node-rs/argon2': {},
      'node_modules/cpu-features': { optional: true },
      'node_modules/ssh2': { devOptional: true },
      'node_modules/vite': { dev: true },
      'node_modules/vite/node_modules/esbuild': { dev: true },
      'node_modules/local-thing': { link: true },
    },
  });

  it('keeps what npm ci --omit=dev installs, outermost paths only', () => {
    assert.deepEqual(productionPackages(lock), ['@node-rs/argon2', 'cpu-features', 'fastify', 'ssh2']);
  });

  it('an empty or old lock names nothing rather than failing', () => {
    assert.deepEqual(productionPackages('{"lockfileVersion":1,"dependencies":{}}'), []);
  });
});
