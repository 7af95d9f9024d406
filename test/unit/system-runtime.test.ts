import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hubAllocator, hubEnvironment, hubProcess, keepAllocatorToSelf } from '../../src/system/runtime.ts';

const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

describe("the hub's process: flags and allocator", () => {
  it('picks the jemalloc that is installed, and none when asked for the system one or when there is none', () => {
    assert.equal(hubAllocator({}, (f) => f === JEMALLOC), JEMALLOC);
    assert.equal(hubAllocator({}, (f) => f.includes('aarch64')), '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2');
    assert.equal(hubAllocator({ PLASMA_MALLOC: 'system' }, () => true), null);
    assert.equal(hubAllocator({}, () => false), null);
  });

  it('preloads it first and once, keeping what else was preloaded', () => {
    assert.equal(hubEnvironment({ A: '1' }, JEMALLOC).LD_PRELOAD, JEMALLOC);
    assert.equal(hubEnvironment({ LD_PRELOAD: '/lib/x.so' }, JEMALLOC).LD_PRELOAD, `${JEMALLOC}:/lib/x.so`);
    assert.equal(hubEnvironment({ LD_PRELOAD: `/lib/x.so ${JEMALLOC}` }, JEMALLOC).LD_PRELOAD, `${JEMALLOC}:/lib/x.so`);
    const env = { LD_PRELOAD: '/lib/x.so' };
    assert.equal(hubEnvironment(env, null), env, 'no allocator: the environment as it was');
    assert.equal(env.LD_PRELOAD, '/lib/x.so', 'the environment given is not changed');
  });

  it('starts `bin hub` with the Node flags', () => {
    const { args } = hubProcess('/x/plasma.mjs', {}, ['--takeover']);
    assert.deepEqual(args.slice(-3), ['/x/plasma.mjs', 'hub', '--takeover']);
    assert.ok(args[0].startsWith('--max-semi-space-size='), args.join(' '));
  });

  it("takes it out of what the hub's children inherit, and only it", () => {
    const env: NodeJS.ProcessEnv = { LD_PRELOAD: `${JEMALLOC}:/lib/x.so` };
    keepAllocatorToSelf(env, JEMALLOC);
    assert.equal(env.LD_PRELOAD, '/lib/x.so');
    keepAllocatorToSelf(env, JEMALLOC);
    assert.equal(env.LD_PRELOAD, '/lib/x.so');
    const only: NodeJS.ProcessEnv = { LD_PRELOAD: JEMALLOC };
    keepAllocatorToSelf(only, JEMALLOC);
    assert.equal('LD_PRELOAD' in only, false);
  });
});
