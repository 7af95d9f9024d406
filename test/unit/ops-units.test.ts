import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { parseConfig } from '../../src/config/load.ts';
import { defaultConfigText } from '../../src/ops/install.ts';
import { units } from '../../src/ops/units.ts';
import { REPO_ROOT } from '../helpers/stack.ts';

describe('what plasma install writes', () => {
  it('deploy/systemd holds the units as plasma install renders them for /opt/plasma', () => {
    for (const [name, text] of Object.entries(units({ prefix: '/opt/plasma', node: '/usr/bin/node', allocator: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' }))) {
      assert.equal(fs.readFileSync(path.join(REPO_ROOT, 'deploy', 'systemd', name), 'utf8'), text, `${name} is up to date`);
    }
  });

  it('the units run app/current, and reload by handing the sockets over', () => {
    const u = units({ prefix: '/srv/p', node: '/usr/bin/node', allocator: null });
    assert.match(u['plasma-proxy.service'], /^ExecStart=\/usr\/bin\/node \/srv\/p\/app\/current\/bin\/plasma\.mjs proxy$/m);
    assert.match(u['plasma-hub.service'], /^ExecReload=\/bin\/kill -USR2 \$MAINPID$/m);
    assert.match(u['plasma-hub.service'], /^KillMode=process$/m, 'stopping the hub never stops user servers');
    assert.match(u['plasma-proxy.service'], /^NotifyAccess=all$/m, 'the process that takes over announces itself');
  });

  it('the hub alone runs on jemalloc when it is there, preloaded before it starts', () => {
    const lib = '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2';
    const u = units({ prefix: '/srv/p', node: '/usr/bin/node', allocator: lib });
    const hub = u['plasma-hub.service'];
    assert.ok(hub.indexOf(`\nEnvironment=LD_PRELOAD=${lib}\n`) > 0 && hub.indexOf('LD_PRELOAD') < hub.indexOf('ExecStart='), hub);
    for (const [name, text] of Object.entries(u)) if (name !== 'plasma-hub.service') assert.doesNotMatch(text, /LD_PRELOAD/, name);
    assert.doesNotMatch(units({ prefix: '/srv/p', node: '/usr/bin/node', allocator: null })['plasma-hub.service'], /LD_PRELOAD/);
  });

  it('the default config is every default, commented out: it parses to the defaults, and uncommented too', () => {
    const text = defaultConfigText();
    assert.ok(text.split('\n').every((line) => line === '' || line.startsWith('#')));
    assert.deepEqual(parseConfig(YAML.parse(text) ?? {}), parseConfig({}));
    const uncommented = text.split('\n').filter((l) => l.startsWith('# ') && !/^# [A-Z]/.test(l)).map((l) => l.slice(2)).join('\n');
    assert.deepEqual(parseConfig(YAML.parse(uncommented)), parseConfig({}));
  });
});
