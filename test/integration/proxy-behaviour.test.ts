import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { ProxyProcess } from '../helpers/proxy-process.ts';

/** A backend that answers with its name and the path it saw. */
async function backend(name: string): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ backend: name, url: req.url, proto: req.headers['x-forwarded-proto'] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => { server.closeAllConnections(); server.close(); } };
}

function selfSigned(dir: string, name: string, cn: string): { key: string; cert: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key, cert };
}

function httpsGet(url: string, agent?: https.Agent): Promise<{ status: number; body: string; cn: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { rejectUnauthorized: false, agent }, (res) => {
      const cert = (res.socket as tls.TLSSocket).getPeerCertificate();
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cn: String(cert.subject?.CN ?? '') }));
    });
    req.on('error', reject);
  });
}

describe('plasma proxy behaviour', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-proxy-test-'));
  let a: Awaited<ReturnType<typeof backend>>;
  let b: Awaited<ReturnType<typeof backend>>;
  before(async () => {
    a = await backend('A');
    b = await backend('B');
  });
  after(() => {
    a.close();
    b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Issue 3, item 3.
  it('comes back after being killed with all 100 routes, with no hub running', async () => {
    const routesFile = path.join(dir, 'routes.json');
    await ProxyProcess.using(['--routes-file', routesFile], async (proxy) => {
      for (let i = 0; i < 100; i++) {
        assert.equal((await proxy.api('POST', `/user/pt-u${i}`, { target: i % 2 ? a.url : b.url, user: `pt-u${i}` })).status, 201);
      }
      await new Promise((r) => setTimeout(r, 600)); // past the debounced write
      await proxy.stop('SIGKILL');
      const t0 = Date.now();
      await proxy.start({ port: proxy.port, apiPort: proxy.apiPort });
      const answers = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
        const res = await fetch(`${proxy.url}/user/pt-u${i}/api/status`);
        const body = await res.json() as { backend: string };
        return res.status === 200 && body.backend === (i % 2 ? 'A' : 'B');
      }));
      const elapsed = Date.now() - t0;
      console.log(`# 100 routes answering ${elapsed} ms after the restart began`);
      assert.equal(answers.filter(Boolean).length, 100, 'every route answers, from the right backend');
      const listed = (await proxy.api('GET', '')).json;
      assert.equal(listed['/user/pt-u7'].user, 'pt-u7', 'route data survives');
    });
  });

  it('writes routes added just before SIGTERM, so a restart still has them', async () => {
    const routesFile = path.join(dir, 'term-routes.json');
    await ProxyProcess.using(['--routes-file', routesFile], async (proxy) => {
      assert.equal((await proxy.api('POST', '/user/pt-term', { target: a.url, user: 'pt-term' })).status, 201);
      await proxy.stop('SIGTERM'); // well inside the debounce window
      assert.equal(JSON.parse(fs.readFileSync(routesFile, 'utf8'))['/user/pt-term'].target, a.url);
      await proxy.start({ port: proxy.port, apiPort: proxy.apiPort });
      assert.equal((await fetch(`${proxy.url}/user/pt-term/x`)).status, 200);
    });
  });

  it('keeps backend connections alive across requests, and adds --custom-header', async () => {
    let connections = 0;
    const seen: (string | undefined)[] = [];
    const counting = http.createServer((req, res) => {
      seen.push(req.headers['x-course'] as string | undefined);
      res.end('ok');
    });
    counting.on('connection', () => connections++);
    await new Promise<void>((r) => counting.listen(0, '127.0.0.1', () => r()));
    const proxy = new ProxyProcess(['--custom-header', 'X-Course: physics-101']);
    await proxy.start();
    try {
      const target = `http://127.0.0.1:${(counting.address() as net.AddressInfo).port}`;
      assert.equal((await proxy.api('POST', '/pooled', { target })).status, 201);
      for (let i = 0; i < 200; i++) assert.equal(await (await fetch(`${proxy.url}/pooled/${i}`)).text(), 'ok');
      assert.ok(connections <= 2, `200 requests used ${connections} backend connections`);
      await fetch(`${proxy.url}/pooled/spoof`, { headers: { 'X-Course': 'spoofed' } });
      assert.deepEqual(new Set(seen), new Set(['physics-101']), 'the custom header is set, replacing a client-sent one');
    } finally {
      await proxy.stop();
      counting.closeAllConnections();
      counting.close();
    }
  });

  it('answers 503 for a backend that never responds (--proxy-timeout), and keeps serving others', async () => {
    const silent = net.createServer((s) => s.on('error', () => undefined)); // accepts, reads, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const proxy = new ProxyProcess(['--proxy-timeout', '500']);
    await proxy.start();
    try {
      assert.equal((await proxy.api('POST', '/stuck', { target: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}` })).status, 201);
      assert.equal((await proxy.api('POST', '/fine', { target: a.url })).status, 201);
      const stuck = fetch(`${proxy.url}/stuck/x`);
      assert.equal((await fetch(`${proxy.url}/fine/x`)).status, 200, 'a stuck backend does not hold up others');
      const res = await stuck;
      assert.equal(res.status, 503);
      await res.text();
      assert.equal((await proxy.api('GET', '/stuck')).status, 200, 'the proxy is still up');
    } finally {
      await proxy.stop();
      silent.close();
    }
  });

  it('serves TLS, redirects HTTP to HTTPS, and reloads certificates without dropping connections', async () => {
    const first = selfSigned(dir, 'first', 'plasma-first');
    const second = selfSigned(dir, 'second', 'plasma-second');
    const key = path.join(dir, 'live.key');
    const cert = path.join(dir, 'live.crt');
    fs.copyFileSync(first.key, key);
    fs.copyFileSync(first.cert, cert);
    const redirectPort = await freeLoopbackPort();
    await ProxyProcess.using(['--ssl-key', key, '--ssl-cert', cert, '--redirect-port', String(redirectPort)], async (proxy) => {
      assert.equal((await proxy.api('POST', '/secure', { target: a.url })).status, 201);
      const base = `https://127.0.0.1:${proxy.port}`;
      const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
      const one = await httpsGet(`${base}/secure/x`, keepAlive);
      assert.equal(one.status, 200);
      assert.equal(JSON.parse(one.body).proto, 'https', 'the backend is told the client used https');
      assert.equal(one.cn, 'plasma-first');

      const redirect = await fetch(`http://127.0.0.1:${redirectPort}/secure/x?y=1`, { redirect: 'manual' });
      assert.equal(redirect.status, 301);
      assert.equal(redirect.headers.get('location'), `https://127.0.0.1:${proxy.port}/secure/x?y=1`);

      fs.copyFileSync(second.key, key);
      fs.copyFileSync(second.cert, cert);
      proxy.child!.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 500));
      const again = await httpsGet(`${base}/secure/y`, keepAlive);
      assert.equal(again.status, 200, 'the open keep-alive connection still works');
      assert.equal(again.cn, 'plasma-first', 'it is the same (old) connection');
      const fresh = await httpsGet(`${base}/secure/z`);
      assert.equal(fresh.cn, 'plasma-second', 'new connections get the new certificate');
      keepAlive.destroy();
    });
  });

  it('cuts clients that never finish their headers, and keeps serving others', async () => {
    await ProxyProcess.using(['--headers-timeout', '1000'], async (proxy) => {
      assert.equal((await proxy.api('POST', '/', { target: a.url })).status, 201);
      const slow = await Promise.all(Array.from({ length: 50 }, () => new Promise<net.Socket>((resolve) => {
        const s = net.connect(proxy.port, '127.0.0.1', () => {
          s.write('GET /slow HTTP/1.1\r\nHost: x\r\n'); // and never the end of the headers
          resolve(s);
        });
        s.on('error', () => undefined);
      })));
      const closed = slow.map((s) => new Promise<void>((r) => s.once('close', () => r())));
      const ok = await fetch(`${proxy.url}/still-ok`);
      assert.equal(ok.status, 200, 'a normal client is served while 50 slow ones hang');
      const t0 = Date.now();
      await Promise.race([Promise.all(closed), new Promise((_, rej) => setTimeout(() => rej(new Error('slow clients were not cut')), 10_000))]);
      console.log(`# 50 stalled clients cut after ${Date.now() - t0} ms (headers timeout 1000 ms)`);
      assert.equal((await fetch(`${proxy.url}/after`)).status, 200);
    });
  });

  it('routes correctly among 10,000 routes', async () => {
    await ProxyProcess.using([], async (proxy) => {
      const t0 = Date.now();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      const post = (i: number) => new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ target: i % 2 ? a.url : b.url, user: `u${i}` });
        const req = http.request(`${proxy.apiUrl}/api/routes/user/u${i}`, {
          method: 'POST', agent, headers: { Authorization: 'token pt-proxy-token-abcdef0123456789', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
        req.on('error', reject);
        req.end(body);
      });
      for (let i = 0; i < 10_000; i += 100) {
        const statuses = await Promise.all(Array.from({ length: 100 }, (_, j) => post(i + j)));
        assert.ok(statuses.every((s) => s === 201));
      }
      console.log(`# 10,000 routes added in ${Date.now() - t0} ms`);
      agent.destroy();
      const list = (await proxy.api('GET', '')).json;
      assert.equal(Object.keys(list).length, 10_000);
      for (const i of [0, 1, 4242, 9999, ...Array.from({ length: 20 }, () => crypto.randomInt(10_000))]) {
        const res = await fetch(`${proxy.url}/user/u${i}/lab/tree?x=${i}`);
        const body = await res.json() as { backend: string; url: string };
        assert.deepEqual([res.status, body.backend, body.url], [200, i % 2 ? 'A' : 'B', `/user/u${i}/lab/tree?x=${i}`]);
      }
      // Whole segments only: /user/u1 must not catch /user/u10.
      assert.equal((await proxy.api('DELETE', '/user/u10')).status, 204);
      assert.equal((await fetch(`${proxy.url}/user/u10/x`)).status, 404);
      assert.equal((await fetch(`${proxy.url}/user/u1/x`)).status, 200);
    });
  });
});
