import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SHARED, Stack } from '../helpers/stack.ts';

const SUITE = path.join(SHARED, 'conformance', 'jupyterhub-api.mjs');

function runSuite(stack: Stack): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SUITE], {
      env: { ...process.env, HUB_API_URL: stack.apiUrl, HUB_TOKEN: stack.adminToken, PROXY_URL: stack.publicUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

// Issue 2, item 6: the black-box suite the real JupyterHub 3.0 passes, against `plasma hub` behind the proxy.
for (const [proxy, named] of [['plasma', false], ['plasma', true], ['chp', false], ['chp', true]] as const) {
  describe(`JupyterHub API conformance behind ${proxy === 'chp' ? 'configurable-http-proxy' : 'plasma proxy'}, named servers ${named ? 'on' : 'off'}`, () => {
    it('passes every check', async () => {
      const stack = new Stack({ proxy, config: { spawner: { named_servers: { enabled: named } } } });
      try {
        await stack.start();
        const { code, output } = await runSuite(stack);
        const lines = output.trim().split('\n');
        const failures = lines.filter((l) => l.startsWith('not ok'));
        const summary = lines.at(-1) ?? '';
        console.log(`# conformance (${proxy}, named servers ${named ? 'on' : 'off'}): ${summary}`);
        assert.deepEqual(failures, [], failures.join('\n'));
        assert.match(summary, /^(\d+) passed, 0 failed$/);
        const passed = Number(summary.split(' ')[0]);
        // 122 checks with named servers off; 7 more run when they are on.
        assert.equal(passed, named ? 129 : 122);
        assert.ok(!output.includes('# skip named servers') === named, 'named-server section ran only when enabled');
        assert.equal(code, 0);
      } finally {
        await stack.stop();
      }
    });
  });
}
