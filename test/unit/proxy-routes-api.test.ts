import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/log/index.ts';
import { RouteTable } from '../../src/proxy/route-table.ts';
import { createRoutesApiServer } from '../../src/proxy/routes-api.ts';

const log = createLogger('proxy-routes-api-test', 'error');
const TOKEN = 'test-token';

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

/** One request on its own connection. */
function request(port: number, method: string, path: string, options: { token?: string | null; body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== null) headers.authorization = `token ${options.token ?? TOKEN}`;
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends raw bytes on one connection and collects everything until the server closes it or `ms` pass. */
function raw(port: number, bytes: string | Buffer, ms = 300): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (d) => { out += d.toString('latin1'); });
    socket.on('close', () => { clearTimeout(timer); resolve(out); });
    socket.on('error', () => {});
    socket.write(bytes);
  });
}

const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

{
  describe('proxy routes API', () => {
    const table = new RouteTable();
    let changes = 0;
    const options = { table, token: TOKEN, log, onChange: () => { changes++; } };
    const server = createRoutesApiServer({ ...options, headersTimeoutMs: 10_000 });
    let port = 0;
    before(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => { port = (server.address() as AddressInfo).port; resolve(); })));
    after(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));

    it('adds, reads, lists and deletes a route as CHP does', async () => {
      const before = changes;
      let r = await request(port, 'POST', '/api/routes/user/alice', { body: JSON.stringify({ user: 'alice', target: 'http://127.0.0.1:9001', n: [1] }) });
      assert.equal(r.status, 201);
      assert.equal(changes, before + 1);
      r = await request(port, 'GET', '/api/routes/user/alice/');
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'] ?? '', /^application\/json/);
      const one = JSON.parse(r.body);
      assert.deepEqual({ ...one, last_activity: undefined }, { user: 'alice', n: [1], target: 'http://127.0.0.1:9001', last_activity: undefined });
      assert.ok(Number.isFinite(Date.parse(one.last_activity)));
      r = await request(port, 'GET', '/api/routes');
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body)['/user/alice'].target, 'http://127.0.0.1:9001');
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
      assert.deepEqual(Object.keys(JSON.parse((await request(port, 'GET', '/api/routes?inactive_since=2000-01-01T00:00:00Z')).body)), []);
      assert.equal((await request(port, 'GET', '/api/routes?inactive_since=nope')).status, 400);
      assert.equal((await request(port, 'DELETE', '/api/routes/user/alice')).status, 204);
      assert.equal((await request(port, 'DELETE', '/api/routes/user/alice')).status, 404);
      assert.equal((await request(port, 'GET', '/api/routes/user/alice')).status, 404);
    });

    it('decodes a percent-encoded route path, and refuses a malformed one', async () => {
      assert.equal((await request(port, 'POST', '/api/routes/user/b%20c', { body: '{"target":"http://127.0.0.1:9002"}' })).status, 201);
      assert.equal(table.get('/user/b c')?.target, 'http://127.0.0.1:9002');
      assert.equal((await request(port, 'GET', '/api/routes/user/%E0%A4%A')).status, 400);
      table.delete('/user/b c');
    });

    it('answers 403 without the right token, and keeps no body then', async () => {
      const body = '{"target":"http://127.0.0.1:9003"}';
      assert.equal((await request(port, 'POST', '/api/routes/x', { token: null, body })).status, 403);
      assert.equal((await request(port, 'POST', '/api/routes/x', { token: `${TOKEN}x`, body })).status, 403);
      assert.equal((await request(port, 'GET', '/api/routes', { token: 'wrong' })).status, 403);
      assert.equal((await request(port, 'GET', '/api/routes', { headers: { authorization: `Bearer ${TOKEN}` }, token: null })).status, 403);
      assert.equal(table.get('/x'), undefined);
    });

    it('checks the token on every request of a keep-alive connection', async () => {
      const good = `POST /api/routes/ka HTTP/1.1\r\nHost: x\r\nAuthorization: token ${TOKEN}\r\nContent-Length: 34\r\n\r\n{"target":"http://127.0.0.1:9004"}`;
      const bad = 'DELETE /api/routes/ka HTTP/1.1\r\nHost: x\r\nAuthorization: token nope\r\n\r\n';
      const none = 'DELETE /api/routes/ka HTTP/1.1\r\nHost: x\r\n\r\n';
      assert.deepEqual(statuses(await raw(port, good + bad + none + good)), [201, 403, 403, 201]);
      assert.equal(table.get('/ka')?.target, 'http://127.0.0.1:9004');
      table.delete('/ka');
    });

    it('validates the body: JSON object with a string http(s)/ws(s) URL target', async () => {
      const post = (body: string) => request(port, 'POST', '/api/routes/v', { body }).then((r) => r.status);
      assert.equal(await post('{"target": "http://127.0.0.1:1",'), 400);
      assert.equal(await post(''), 400);
      assert.equal(await post('[1]'), 400);
      assert.equal(await post('{"user":"v"}'), 400);
      assert.equal(await post('{"target":123}'), 400);
      assert.equal(await post('{"target":"not a url"}'), 400);
      assert.equal(await post('{"target":"ftp://127.0.0.1/"}'), 400);
      assert.equal(table.get('/v'), undefined);
      assert.equal(await post('{"target":"wss://example.org:8443/x"}'), 201);
      table.delete('/v');
    });

    it('answers 404 outside /api/routes and 405 with Allow for other methods', async () => {
      assert.equal((await request(port, 'GET', '/api/other')).status, 404);
      const r = await request(port, 'PUT', '/api/routes/x', { body: '{}' });
      assert.equal(r.status, 405);
      assert.equal(r.headers.allow, 'GET, POST, DELETE');
    });

    it('refuses a body over 1 MiB with 413, declared or not', async () => {
      const big = JSON.stringify({ target: 'http://127.0.0.1:1', pad: 'x'.repeat(1024 * 1024) });
      assert.equal((await request(port, 'POST', '/api/routes/big', { body: big })).status, 413);
      // Chunked: no Content-Length, the limit is found while reading.
      const chunked = await raw(port, `POST /api/routes/big HTTP/1.1\r\nHost: x\r\nAuthorization: token ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(big).toString(16)}\r\n${big}\r\n0\r\n\r\n`, 2000);
      assert.deepEqual(statuses(chunked), [413]);
      assert.equal(table.get('/big'), undefined);
    });

    it('reads chunked bodies and multi-byte text split across chunks', async () => {
      const body = Buffer.from('{"target":"http://127.0.0.1:9005","name":"Zoë ✓"}');
      const cut = body.indexOf('ë') + 1; // inside the two bytes of ë
      const head = `POST /api/routes/chunked HTTP/1.1\r\nHost: x\r\nAuthorization: token ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`;
      const out = await raw(port, Buffer.concat([Buffer.from(`${head}${cut.toString(16)}\r\n`), body.subarray(0, cut), Buffer.from(`\r\n${(body.length - cut).toString(16)}\r\n`), body.subarray(cut), Buffer.from('\r\n0\r\n\r\n')]));
      assert.deepEqual(statuses(out), [201]);
      assert.equal(table.get('/chunked')?.data.name, 'Zoë ✓');
      table.delete('/chunked');
    });

    it('answers pipelined requests in order and honours Connection: close and HTTP/1.0', async () => {
      const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: token ${TOKEN}\r\n${extra}\r\n`;
      const t0 = Date.now();
      const out = await raw(port, get('/api/routes/none') + get('/api/routes') + get('/api/other', 'Connection: close\r\n'), 2000);
      assert.deepEqual(statuses(out), [404, 200, 404]);
      assert.match(out, /Connection: close/i);
      assert.ok(Date.now() - t0 < 1500, 'the server closed the connection');
      assert.deepEqual(statuses(await raw(port, get('/api/other', 'Connection: close\r\n') + get('/api/routes'), 1000)), [404], 'nothing after it is answered');
      const old = await raw(port, `GET /api/routes/none HTTP/1.0\r\nAuthorization: token ${TOKEN}\r\n\r\n`, 1000);
      assert.deepEqual(statuses(old), [404]);
    });

    it('answers Expect: 100-continue', async () => {
      const out = await raw(port, `POST /api/routes/e HTTP/1.1\r\nHost: x\r\nAuthorization: token ${TOKEN}\r\nExpect: 100-continue\r\nContent-Length: 34\r\n\r\n`, 300);
      assert.deepEqual(statuses(out), [100]);
    });

    it('answers a malformed request with 400 and closes', async () => {
      assert.deepEqual(statuses(await raw(port, 'NOT HTTP AT ALL\r\n\r\n', 1000)), [400]);
      assert.deepEqual(statuses(await raw(port, `GET /api/routes HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 1000)), [431]);
    });
  });
}

describe('proxy routes API lean server timeouts', () => {
  it('closes idle keep-alive connections and connections that never finish their headers', async () => {
    const server = createRoutesApiServer({ table: new RouteTable(), token: TOKEN, log, onChange() {}, keepAliveTimeoutMs: 300, headersTimeoutMs: 600 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const t0 = Date.now();
    const idle = await raw(port, `GET /api/routes HTTP/1.1\r\nHost: x\r\nAuthorization: token ${TOKEN}\r\n\r\n`, 5000);
    assert.deepEqual(statuses(idle), [200]);
    assert.ok(Date.now() - t0 < 2500, 'an idle keep-alive connection is closed after its timeout');
    const t1 = Date.now();
    assert.equal(await raw(port, 'GET /api/routes HTTP/1.1\r\nHost: x\r\n', 5000), '');
    assert.ok(Date.now() - t1 < 2500, 'unfinished headers are cut');
    await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
  });
});
