import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ProxyProcess } from '../helpers/proxy-process.ts';

/**
 * The proxy speaks HTTP/1.1 on raw sockets (src/proxy/data-plane.ts), so what node:http used to do for it is checked
 * here, byte for byte where it matters: keep-alive, pipelining, HTTP/1.0, request and response framing, Expect,
 * HEAD, malformed requests, slow readers and clients that leave mid-answer.
 */

/** Writes `raw` on one connection and collects everything until the proxy closes it or `until` matches. */
function exchange(port: number, raw: string | string[], until?: RegExp, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer in time; got ${JSON.stringify(out)}`)); }, timeoutMs);
    socket.on('data', (d) => {
      out += d.toString('latin1');
      if (until?.test(out)) { clearTimeout(timer); socket.destroy(); resolve(out); }
    });
    socket.on('close', () => { clearTimeout(timer); resolve(out); });
    socket.on('error', () => undefined);
    socket.on('connect', async () => {
      for (const part of typeof raw === 'string' ? [raw] : raw) {
        socket.write(Buffer.from(part, 'latin1'));
        if (typeof raw !== 'string') await new Promise((r) => setTimeout(r, 30));
      }
    });
  });
}

const statusLines = (text: string) => text.split('\r\n').filter((l) => /^HTTP\/1\.[01] \d{3}/.test(l));

describe('plasma proxy HTTP/1.1 engine', () => {
  let server: http.Server;
  /** The backend connection that carried the last /big answer. */
  let bigSocket: net.Socket | null = null;
  const proxy = new ProxyProcess();

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname.endsWith('/stream')) {
          // No Content-Length: node:http answers chunked.
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          let n = Number(url.searchParams.get('n') ?? 3);
          const tick = () => (n-- > 0 ? res.write(`part${n};`, () => setTimeout(tick, 5)) : res.end('end'));
          return tick();
        }
        if (url.pathname.endsWith('/big')) {
          bigSocket = req.socket;
          const size = Number(url.searchParams.get('mb') ?? 1) * 1024 * 1024;
          res.writeHead(200, { 'Content-Length': size });
          return res.end(Buffer.alloc(size, 97));
        }
        if (url.pathname.endsWith('/close-delimited')) {
          // An HTTP/1.0-style answer: no length, the body ends when the backend closes the connection.
          req.socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil-close');
          return;
        }
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-Seen-TE': String(req.headers['transfer-encoding'] ?? '') });
        res.end(JSON.stringify({ method: req.method, url: req.url, length: body.length, sha: body.toString('latin1').slice(0, 16), expect: req.headers.expect ?? null }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    await proxy.start();
    const target = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    assert.equal((await proxy.api('POST', '/h1', { target })).status, 201);
  });

  after(async () => {
    await proxy.stop();
    server.closeAllConnections();
    server.close();
  });

  it('keeps client connections alive and answers pipelined requests in order', async () => {
    const raw = ['a', 'b', 'c'].map((p) => `GET /h1/${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const out = await exchange(proxy.port, raw, /"url":"\/h1\/c"[^]*$/);
    assert.deepEqual(statusLines(out), ['HTTP/1.1 201 Created', 'HTTP/1.1 201 Created', 'HTTP/1.1 201 Created']);
    assert.deepEqual([...out.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]), ['/h1/a', '/h1/b', '/h1/c']);
    assert.doesNotMatch(out, /Connection: close/i, 'an HTTP/1.1 client keeps its connection');
  });

  it('serves HTTP/1.0 clients and closes their connection after the answer', async () => {
    const out = await exchange(proxy.port, 'GET /h1/old HTTP/1.0\r\nHost: x\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 201 Created\r\n/);
    assert.match(out, /Connection: close/i);
    assert.match(out, /"url":"\/h1\/old"/);
  });

  it('forwards chunked request bodies and streams chunked answers', async () => {
    const out = await exchange(proxy.port, [
      'POST /h1/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      '5\r\nhello\r\n', '6\r\n world\r\n', '0\r\n\r\n',
    ], /\r\n0\r\n\r\n$/);
    assert.match(out, /X-Seen-TE: chunked/i);
    assert.match(out, /"length":11,"sha":"hello world"/);

    const res = await fetch(`${proxy.url}/h1/stream?n=4`);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    assert.equal(await res.text(), 'part3;part2;part1;part0;end');
  });

  it('answers Expect: 100-continue itself and then forwards the body', async () => {
    const out = await exchange(proxy.port, [
      'POST /h1/expect HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n', 'data',
    ], /\r\n0\r\n\r\n$/);
    assert.deepEqual(statusLines(out), ['HTTP/1.1 100 Continue', 'HTTP/1.1 201 Created']);
    assert.match(out, /"length":4,"sha":"data"/);
  });

  it('sends no body for HEAD, keeping the length header', async () => {
    const out = await exchange(proxy.port, 'HEAD /h1/big?mb=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /h1/after HTTP/1.1\r\nHost: x\r\n\r\n', /"url":"\/h1\/after"[^]*$/);
    assert.match(out, /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 1048576\r\n/i);
    assert.equal(statusLines(out).length, 2, 'the next answer follows the HEAD answer directly');
    assert.ok(out.length < 2000, 'no body was sent');
  });

  it('re-frames an answer that ends when the backend closes, so the client keeps its connection', async () => {
    const res = await fetch(`${proxy.url}/h1/close-delimited`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'until-close');
    assert.equal((await fetch(`${proxy.url}/h1/x`)).status, 201);
  });

  it('answers malformed requests with 400 and oversized heads with 431, and keeps serving', async () => {
    assert.match(await exchange(proxy.port, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(await exchange(proxy.port, `GET /h1/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`), /^HTTP\/1\.1 431 /);
    assert.match(await exchange(proxy.port, 'GET /h1/%zz HTTP/1.1\r\nHost: x\r\n\r\n', /\r\n\r\n[^]*$/), /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.equal((await fetch(`${proxy.url}/h1/ok`)).status, 201);
  });

  it('holds a slow reader without buffering the whole answer, and frees the backend when a client leaves', async () => {
    // 64 MB to a client that reads nothing: the proxy must stop reading the backend (its RSS stays small).
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.pause();
    socket.write('GET /h1/big?mb=64 HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 1500));
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(await import('node:fs').then((fs) => fs.readFileSync(`/proc/${proxy.child!.pid}/status`, 'utf8')))?.[1]);
    assert.ok(rssKb < 200 * 1024, `proxy RSS ${Math.round(rssKb / 1024)} MB while a 64 MB answer waits for a slow reader`);
    // The client leaves mid-answer: the backend connection carrying it is closed, not left half-read in the pool.
    const carrying = bigSocket!;
    const closed = new Promise<boolean>((r) => { carrying.once('close', () => r(true)); setTimeout(() => r(carrying.destroyed), 3000); });
    socket.destroy();
    assert.equal(await closed, true, 'the backend connection of the abandoned answer was closed');
    assert.equal((await fetch(`${proxy.url}/h1/after-leave`)).status, 201);
  });
});
