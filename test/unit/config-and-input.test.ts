import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { usernameProblem } from '../../src/auth/index.ts';
import { ConfigError, loadConfig, parseConfig, resolvePaths } from '../../src/config/index.ts';
import { safeNext } from '../../src/pages/routes.ts';
import { ChpApiClient } from '../../src/proxy/client.ts';

describe('config', () => {
  it('an empty config is a working setup with the documented defaults', () => {
    const c = parseConfig({});
    assert.deepEqual([c.proxy.port, c.proxy.api_port, c.hub.port, c.proxy.type, c.auth.type, c.spawner.type], [8000, 8001, 8081, 'plasma', 'native', 'local']);
  });

  it('an error names the key and what is wrong', () => {
    assert.throws(() => parseConfig({ hub: { port: 'eighty' } }), (e: Error) => e instanceof ConfigError && /hub\.port: .*number/.test(e.message));
    assert.throws(() => parseConfig({ proxy: { colour: 'red' } }), /proxy\.colour: unknown key/);
    assert.throws(() => parseConfig({ auth: { type: 'kerberos' } }), /auth\.type: /);
  });

  it('PLASMA_PREFIX moves every path', () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-unit-'));
    const paths = resolvePaths(prefix);
    for (const p of [paths.configFile, paths.database, paths.backupsDir, paths.routesFile]) assert.ok(p.startsWith(prefix), p);
    fs.mkdirSync(path.dirname(paths.configFile), { recursive: true });
    fs.writeFileSync(paths.configFile, 'hub:\n  port: [1, 2\n');
    assert.throws(() => loadConfig(paths), /not valid YAML/);
    fs.writeFileSync(paths.configFile, 'proxy:\n  port: 18000\n');
    assert.equal(loadConfig(paths).proxy.port, 18000);
    fs.rmSync(prefix, { recursive: true });
  });
});

describe('input checks', () => {
  it('user names: no separators, dot-dot, control characters or excess length', () => {
    assert.equal(usernameProblem('alice'), null);
    assert.equal(usernameProblem('a.b-c_d@e'), null);
    for (const bad of ['a/b', '..', 'a..b', 'x\u0001', 'x'.repeat(65), '', 'Alice', '-x', 'a\\b']) assert.ok(usernameProblem(bad), bad);
  });

  it('next= only accepts same-site paths', () => {
    assert.equal(safeNext('/user/alice/lab', '/hub/home'), '/user/alice/lab');
    for (const bad of ['//evil.example', 'https://evil.example', '/\\evil', 'javascript:alert(1)', '/x\r\nSet-Cookie: a=b']) {
      assert.equal(safeNext(bad, '/hub/home'), '/hub/home', bad);
    }
  });

  it('routespecs map to CHP keys and back', () => {
    assert.equal(ChpApiClient.keyFor('/user/alice/'), '/user/alice');
    assert.equal(ChpApiClient.keyFor('/'), '/');
    assert.equal(ChpApiClient.keyFor('/user/a@b/'), '/user/a@b');
    assert.equal(ChpApiClient.routespecFor('/user/alice'), '/user/alice/');
  });
});
