import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { PROXY_TOKEN, ProxyProcess } from '../helpers/proxy-process.ts';
import { REPO_ROOT, SHARED } from '../helpers/stack.ts';

function runSuite(proxy: ProxyProcess, errorPort?: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(SHARED, 'conformance', 'chp-proxy.mjs')], {
      env: {
        ...process.env, PROXY_URL: proxy.url, PROXY_API_URL: proxy.apiUrl, CONFIGPROXY_AUTH_TOKEN: PROXY_TOKEN,
        WS_MODULE: path.join(REPO_ROOT, 'node_modules', 'ws'), ...(errorPort ? { ERROR_TARGET_PORT: String(errorPort) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', () => resolve(out));
  });
}

// Issue 3, item 5: the black-box suite configurable-http-proxy 4.5.3 passes (119/119), against plasma proxy.
describe('configurable-http-proxy conformance', () => {
  /** Runs the suite against a fresh `plasma proxy` and expects every one of `checks` to pass. */
  async function passesAll(checks: number, errorPort?: number): Promise<void> {
    await ProxyProcess.using(errorPort ? ['--error-target', `http://127.0.0.1:${errorPort}`] : [], async (proxy) => {
      const out = await runSuite(proxy, errorPort);
      assert.deepEqual(out.split('\n').filter((l) => l.startsWith('not ok')), []);
      assert.equal(out.trim().split('\n').at(-1), `${checks} passed, 0 failed`);
      assert.doesNotMatch(proxy.output, /uncaught error/, 'the proxy hit no internal error during the suite');
    });
  }

  it('passes every check with --error-target (119 checks)', async () => passesAll(119, await freeLoopbackPort()));
  it('passes every check without an error target (114 checks)', async () => passesAll(114));

  it('does better than CHP where the suite does not assert', async () => {
    await ProxyProcess.using([], async (proxy) => {
      const backend = await import('node:http').then((http) => http.createServer((_q, s) => s.end('ok')));
      await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
      const port = (backend.address() as { port: number }).port;
      assert.equal((await proxy.api('POST', '/pt-keep', { target: `http://127.0.0.1:${port}` })).status, 201);
      const res = await fetch(`${proxy.url}/pt-keep/x`);
      await res.text();
      assert.notEqual(res.headers.get('connection'), 'close', 'client connections are kept alive');
      // The token check is anchored, and auth comes before the body is read.
      const sloppy = await fetch(`${proxy.apiUrl}/api/routes`, { headers: { Authorization: `xtoken ${PROXY_TOKEN}` } });
      assert.equal(sloppy.status, 403);
      const badJsonNoToken = await fetch(`${proxy.apiUrl}/api/routes/pt-x`, { method: 'POST', body: '{' });
      assert.equal(badJsonNoToken.status, 403);
      assert.equal((await proxy.api('POST', '/pt-bad', { target: 'not a url' })).status, 400);
      assert.equal((await fetch(`${proxy.url}/pt-keep/%E0%A4%A`)).status, 400, 'a malformed escape is a 400, not a 500');
      backend.close();
    });
  });
});
