import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { fetchTrusting } from '../../src/auth/https-fetch.ts';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { Browser } from '../helpers/browser.ts';
import { Pebble } from '../helpers/pebble.ts';
import { Stack, waitFor } from '../helpers/stack.ts';
import { TestCa } from '../helpers/tls-ca.ts';

/** The certificate the proxy presents to a new connection. */
function peerCertificate(port: number, ca: string | Buffer): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}

// Issue 14, must-show 3: HTTPS with a manual certificate, then from Debian's pebble over HTTP-01 answered by the
// proxy; a forced renewal swaps the certificate while a websocket stays open.
describe('HTTPS', () => {
  const ca = new TestCa();

  describe('with a manual certificate and key', () => {
    const { cert, key } = ca.issue('manual');
    let redirectPort = 0;
    let stack: Stack;
    before(async () => {
      redirectPort = await freeLoopbackPort();
      stack = new Stack({ config: { proxy: { ssl_cert: cert, ssl_key: key, http_redirect_port: redirectPort } }, tls: { host: 'localhost', ca: () => fs.readFileSync(ca.caCert) } });
      await stack.start();
    });
    after(() => stack.stop());

    it('serves the hub over HTTPS; plain HTTP is redirected; the login cookie is Secure', async () => {
      assert.equal((await stack.publicFetch(`${stack.publicUrl}/hub/api`)).status, 200);
      const presented = await peerCertificate(stack.proxyPort, fs.readFileSync(ca.caCert));
      assert.equal(presented.subject.CN, 'localhost');
      assert.equal(presented.issuer.CN, 'Plasma test CA');
      const plain = await fetch(`http://127.0.0.1:${redirectPort}/hub/login?next=x`, { redirect: 'manual' });
      assert.equal(plain.status, 301);
      assert.equal(plain.headers.get('location'), `https://127.0.0.1:${stack.proxyPort}/hub/login?next=x`);
      await stack.cli(['users', 'add', 'pt-clstls', '--password-stdin'], 'Tls-user-pw-1');
      const browser = new Browser(stack.publicUrl, fetchTrusting(fs.readFileSync(ca.caCert)) as never);
      const form = await browser.go('/hub/login');
      const xsrf = /name="_xsrf" value="([^"]+)"/.exec(form.text)![1];
      const res = await fetchTrusting(fs.readFileSync(ca.caCert))(`${stack.publicUrl}/hub/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `plasma-login-xsrf=${xsrf}` },
        body: new URLSearchParams({ username: 'pt-clstls', password: 'Tls-user-pw-1', _xsrf: xsrf }).toString(),
      });
      assert.equal(res.status, 302);
      assert.ok(res.headers.getSetCookie().some((c) => c.startsWith('plasma-hub-login=') && /; Secure/.test(c)), 'the session cookie is Secure over HTTPS');
    });
  });

  describe('from an ACME CA (pebble), HTTP-01 answered by the proxy', () => {
    const pebble = new Pebble(ca);
    let root = '';
    let stack: Stack;
    const echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    echo.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo ${m}`)));

    before(async () => {
      const redirectPort = await freeLoopbackPort();
      await pebble.start(redirectPort);
      root = await pebble.root();
      stack = new Stack({
        config: {
          hub: { check_routes_interval: 3600 },
          proxy: { http_redirect_port: redirectPort },
          https: { enabled: true, letsencrypt: { domains: ['localhost'], email: 'admin@plasma.test', directory_url: pebble.directoryUrl, ca_file: ca.caCert } },
        },
        // Until pebble's certificate is in, the proxy serves a placeholder this CA does not trust: start() waits.
        tls: { host: 'localhost', ca: () => Buffer.from(root) },
      });
      await stack.start();
    });
    after(async () => {
      await stack?.stop();
      await pebble.stop();
      await new Promise((r) => echo.close(r));
      ca.remove();
    });

    it('gets a certificate from pebble and serves the hub over HTTPS with it', async () => {
      assert.equal((await stack.publicFetch(`${stack.publicUrl}/hub/api`)).status, 200);
      const presented = await peerCertificate(stack.proxyPort, root);
      assert.match(String(presented.issuer.CN), /Pebble Intermediate/);
      assert.equal(presented.subjectaltname, 'DNS:localhost');
      assert.match(await stack.cli(['https', 'status']), /certificate for localhost, issued by .*Pebble Intermediate.*valid until/);
      assert.match(fs.readFileSync(`${stack.prefix}/logs/proxy.log`, 'utf8'), /acme: certificate installed/);
      const accountKey = fs.statSync(`${stack.prefix}/state/tls/account-key.pem`);
      assert.equal(accountKey.mode & 0o077, 0, 'the account key is readable by root only');
      const logs = fs.readFileSync(`${stack.prefix}/logs/proxy.log`, 'utf8');
      assert.ok(!logs.includes(fs.readFileSync(`${stack.prefix}/state/tls/account-key.pem`, 'utf8').split('\n')[1] ?? 'no key'), 'the account key is not logged');
    });

    it('a forced renewal swaps the certificate while a websocket stays open', async () => {
      const port = (echo.address() as AddressInfo).port;
      const added = await fetch(`${stack.proxyApiUrl}/api/routes/pt-clsws`, {
        method: 'POST', headers: { Authorization: `token ${stack.env.CONFIGPROXY_AUTH_TOKEN}` }, body: JSON.stringify({ target: `http://127.0.0.1:${port}` }),
      });
      assert.equal(added.status, 201);
      const ws = new WebSocket(`wss://localhost:${stack.proxyPort}/pt-clsws`, { ca: root });
      const messages: string[] = [];
      let closed = false;
      ws.on('message', (m) => messages.push(String(m)));
      ws.on('close', () => (closed = true));
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      ws.send('before');
      await waitFor(() => messages.includes('echo before'), 5000, 'the first echo');

      const before = await peerCertificate(stack.proxyPort, root);
      assert.match(await stack.cli(['https', 'renew']), /not due yet/);
      assert.match(await stack.cli(['https', 'renew', '--force']), /certificate for localhost/);
      await waitFor(async () => (await peerCertificate(stack.proxyPort, root)).serialNumber !== before.serialNumber, 15_000, 'the proxy to serve the new certificate');
      ws.send('after');
      await waitFor(() => messages.includes('echo after'), 5000, 'an echo on the same websocket after the renewal');
      assert.equal(closed, false, 'the websocket stayed open');
      assert.equal((await stack.publicFetch(`${stack.publicUrl}/hub/api`)).status, 200, 'new connections get the new certificate');
      ws.close();
    });
  });
});
