import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.ts';
import { applyLive, diffConfig, resolveKey } from '../../src/config/reload.ts';

describe('config reload', () => {
  it('sorts changed keys into applied at once, hub restart and proxy restart', () => {
    const current = parseConfig({});
    const next = parseConfig({ spawner: { docker: { memory_limit: '1G' } }, hub: { port: 9000 }, proxy: { ssl_cert: '/c', ssl_key: '/k' }, auth: { banned_users: ['x'] } });
    const d = diffConfig(current, next);
    assert.deepEqual(d.applied, ['auth.banned_users', 'spawner.docker.memory_limit']);
    assert.deepEqual(d.restart_hub, ['hub.port']);
    assert.deepEqual(d.restart_proxy, ['proxy.ssl_cert', 'proxy.ssl_key']);
  });

  it('applies in place, so parts holding a section see the new values', () => {
    const current = parseConfig({});
    const docker = current.spawner.docker;
    const next = parseConfig({ spawner: { docker: { memory_limit: '1G' } }, hub: { port: 9000 } });
    applyLive(current, next, diffConfig(current, next).applied);
    assert.equal(docker.memory_limit, '1G');
    assert.equal(current.hub.port, 8081, 'restart keys are left alone');
  });

  it('tljh-config keys are aliases', () => {
    assert.deepEqual(resolveKey('limits.memory'), { key: 'spawner.docker.memory_limit', alias: 'limits.memory' });
    assert.equal(resolveKey('users.banned').key, 'auth.banned_users');
    assert.equal(resolveKey('plasma.groups').key, 'environments.groups');
    assert.equal(resolveKey('https.letsencrypt.email').key, 'https.letsencrypt.email');
    assert.deepEqual(resolveKey('proxy.port'), { key: 'proxy.port' });
  });
});
