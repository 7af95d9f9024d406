import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { Browser } from '../helpers/browser.ts';
import { RealJupyterHub } from '../helpers/jupyterhub.ts';
import { PROXY_TOKEN, ProxyProcess } from '../helpers/proxy-process.ts';
import { waitFor } from '../helpers/stack.ts';

/** Opens a kernel channel websocket through the proxy and asks the kernel something. */
async function kernelRoundTrip(base: string, user: string, token: string): Promise<{ info: any; result: string }> {
  const created = await fetch(`${base}/user/${user}/api/kernels`, { method: 'POST', headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(created.status, 201, await created.clone().text());
  const kernel = await created.json() as { id: string };
  const ws = new WebSocket(`${base.replace('http', 'ws')}/user/${user}/api/kernels/${kernel.id}/channels`, { headers: { Authorization: `token ${token}` } });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const session = crypto.randomUUID();
  const replies = new Map<string, (msg: any) => void>();
  const results: string[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.msg_type === 'execute_result') results.push(msg.content.data['text/plain']);
    const wait = replies.get(msg.parent_header?.msg_id + ':' + msg.msg_type);
    if (wait) wait(msg);
  });
  const request = (msgType: string, content: object, replyType: string) => new Promise<any>((resolve, reject) => {
    const msgId = crypto.randomUUID();
    replies.set(`${msgId}:${replyType}`, resolve);
    setTimeout(() => reject(new Error(`no ${replyType} within 60 s`)), 60_000).unref();
    ws.send(JSON.stringify({
      header: { msg_id: msgId, username: user, session, msg_type: msgType, version: '5.3', date: new Date().toISOString() },
      parent_header: {}, metadata: {}, content, channel: 'shell', buffers: [],
    }));
  });
  const info = await request('kernel_info_request', {}, 'kernel_info_reply');
  await request('execute_request', { code: '6*7', silent: false, store_history: false, user_expressions: {}, allow_stdin: false }, 'execute_reply');
  await waitFor(() => results.length > 0, 10_000, 'an execute_result');
  ws.close();
  await fetch(`${base}/user/${user}/api/kernels/${kernel.id}`, { method: 'DELETE', headers: { Authorization: `token ${token}` } });
  return { info: info.content, result: results[0] };
}

// Issue 3, item 1: the real JupyterHub 3.0 runs on plasma proxy, wired both ways it can be.
for (const wiring of ['self', 'external'] as const) {
  describe(`real JupyterHub 3.0 with plasma proxy (${wiring === 'self' ? 'started by JupyterHub via ConfigurableHTTPProxy.command' : 'should_start = False, api_url + token'})`, () => {
    it('logs a user in and serves their server, kernel websocket included', async () => {
      const [proxyPort, apiPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
      const external = wiring === 'external' ? new ProxyProcess() : null;
      const hub = new RealJupyterHub({ proxy: wiring, proxyPort, apiPort, proxyToken: PROXY_TOKEN, password: 'pt-jh-pass' });
      try {
        if (external) {
          // JupyterHub adds its own routes (including '/'); the proxy just needs the API token.
          await external.start({ port: proxyPort, apiPort });
        }
        await hub.start();
        const routes = await (await fetch(`http://127.0.0.1:${apiPort}/api/routes`, { headers: { Authorization: `token ${PROXY_TOKEN}` } })).json() as Record<string, any>;
        assert.equal(routes['/']?.hub, true, 'JupyterHub registered its hub route in plasma proxy');

        const browser = new Browser(hub.publicUrl);
        const login = await browser.go('/hub/login?next=%2Fhub%2Fhome', { form: { username: 'pt-jhuser', password: 'pt-jh-pass' } });
        assert.ok(login.status === 200 || login.status === 202, `login → ${login.status} at ${login.url}`);
        assert.ok(browser.cookie('jupyterhub-hub-login'), 'JupyterHub set its login cookie through the proxy');

        const started = await hub.api('POST', '/users/pt-jhuser/server');
        assert.ok([201, 202].includes(started.status), `start → ${started.status}`);
        await waitFor(async () => (await hub.api('GET', '/users/pt-jhuser')).json?.servers?.['']?.ready === true, 60_000, 'the server');

        const page = await browser.go('/user/pt-jhuser/');
        assert.equal(page.status, 200, `visited ${JSON.stringify(browser.visited.slice(-8))}`);
        assert.ok(browser.visited.some((v) => v.url.startsWith('/hub/api/oauth2/authorize')), 'OAuth went through the proxy');
        const status = await browser.go('/user/pt-jhuser/api/status');
        assert.equal(status.status, 200);

        const token = (await hub.api('POST', '/users/pt-jhuser/tokens', { note: 'pt' })).json.token as string;
        const { info, result } = await kernelRoundTrip(hub.publicUrl, 'pt-jhuser', token);
        assert.equal(info.status, 'ok');
        assert.equal(info.language_info.name, 'python');
        assert.equal(result, '42', 'code ran in the kernel over the websocket');

        assert.equal((await hub.api('DELETE', '/users/pt-jhuser/server')).status < 300, true);
      } finally {
        await hub.stop();
        await external?.stop();
      }
    });
  });
}
