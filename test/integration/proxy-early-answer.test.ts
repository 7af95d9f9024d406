import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Stack } from '../helpers/stack.ts';

const BIG = new Uint8Array(12 * 1024 * 1024).fill(0x78);
const HUGE = Buffer.alloc(40 * 1024 * 1024, 0x78);

async function post(url: string, body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers }, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, text: await res.text() };
}

/** A POST on `agent`'s one connection (Node's client sends its next request on the same one). */
function keptAlive(agent: http.Agent, url: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    // A timer of its own: a request queued behind a connection that never frees has no socket to time out, and
    // destroying it then emits nothing.
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ status: 0, text: 'no answer in 15 s' });
    }, 15_000);
    const done = (answer: { status: number; text: string }) => {
      clearTimeout(timer);
      resolve(answer);
    };
    const req = http.request(url, { method: 'POST', agent }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => done({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', (err) => done({ status: 0, text: err.message }));
    req.end(body);
  });
}

/**
 * Issue 15: an upstream's early answer reaches the client unchanged through the proxy. The hub refuses a 12 MB
 * body with a 413 before reading it; through the proxy that must stay the hub's 413, not the proxy's 503.
 */
describe('early answers through plasma proxy', () => {
  const stack = new Stack({ proxy: 'plasma', config: { log_level: 'warn' } });
  // A backend that refuses at once, body unread (a server checking credentials before it reads an upload).
  const refusing = http.createServer((_req, res) => {
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end('{"status":401,"message":"no credentials"}');
  });
  // A backend that stops reading at the request's first bytes, then answers 413 and closes: the proxy, paused
  // with its writes to the backend full, must still read and drop the rest of the body and pass the 413 on.
  const closing = net.createServer((socket) => {
    socket.once('data', () => {
      socket.pause();
      setTimeout(() => {
        socket.end('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\nConnection: close\r\n\r\ntoo large');
        setTimeout(() => socket.destroy(), 1000);
      }, 200);
    });
    socket.on('error', () => undefined);
  });
  const route = async (name: string, server: http.Server | net.Server) => {
    const res = await fetch(`${stack.proxyApiUrl}/api/routes/${name}`, {
      method: 'POST', headers: { Authorization: `token ${stack.env.CONFIGPROXY_AUTH_TOKEN}` },
      body: JSON.stringify({ target: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    });
    assert.equal(res.status, 201);
  };
  before(async () => {
    await stack.start();
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => closing.listen(0, '127.0.0.1', () => r()));
    await route('pt-refusing', refusing);
    await route('pt-closing', closing);
  });
  after(async () => {
    refusing.close();
    closing.close();
    await stack.stop();
  });

  it('passes on a 413 from a backend that closes after it, and reads on: the next request on that connection is answered', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        // More than loopback's socket buffers hold, so the proxy is paused for the backend when the answer comes.
        const r = await keptAlive(agent, `${stack.publicUrl}/pt-closing/upload`, HUGE);
        assert.equal(`${r.status} ${r.text}`, '413 too large', `attempt ${i + 1}`);
        const next = await keptAlive(agent, `${stack.publicUrl}/pt-refusing/after`, Buffer.alloc(0));
        assert.equal(next.status, 401, `the request after attempt ${i + 1}: ${next.text}`);
      }
    } finally {
      agent.destroy();
    }
  });

  it("gives the hub's 413 for a 12 MB body, every time, directly and through the proxy", async () => {
    const direct = await post(`${stack.hubUrl}/hub/api/users`, BIG, { Authorization: `token ${stack.adminToken}` });
    assert.equal(direct.status, 413);
    for (let i = 0; i < 8; i++) {
      const proxied = await post(`${stack.apiUrl}/users`, BIG, { Authorization: `token ${stack.adminToken}` });
      assert.equal(proxied.status, 413, `attempt ${i + 1}: ${proxied.text.slice(0, 200)}`);
      assert.doesNotMatch(proxied.text, /not answering|Service Unavailable/);
    }
    // The hub and the proxy are fine afterwards, and nothing was created.
    const users = await stack.api('GET', '/users');
    assert.equal(users.status, 200);
    assert.deepEqual(users.data.map((u: any) => u.name), [stack.adminUser]);
  });

  it('passes on a 401 the backend sends before reading a 12 MB body, and the hub\'s own 401', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await post(`${stack.publicUrl}/pt-refusing/upload`, BIG);
      assert.equal(r.status, 401, `attempt ${i + 1}: ${r.text.slice(0, 200)}`);
      assert.match(r.text, /no credentials/);
    }
    const form = new TextEncoder().encode(`grant_type=authorization_code&client_id=nobody&client_secret=wrong&code=x&pad=${'y'.repeat(500_000)}`);
    const token = await post(`${stack.hubPagesUrl}api/oauth2/token`, form, { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(token.status, 401, token.text);
    assert.match(token.text, /invalid_client/);
  });
});
