import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import YAML from 'yaml';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { alive, stopChild } from '../helpers/processes.ts';
import { BIN, waitFor } from '../helpers/stack.ts';

const TOKEN = 'pt-handover-token-0123456789abcdef';

// Issue 13: a new proxy process takes the listening sockets over (SIGUSR2, as `plasma upgrade` sends) while
// requests keep flowing and an open websocket stays open; the old process leaves once its connections are done.
describe('proxy handover', () => {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-handover-'));
  let port = 0;
  let apiPort = 0;
  let first: ChildProcess;
  const backend = http.createServer((req, res) => res.end(`ok ${req.url}`));
  const wss = new WebSocketServer({ noServer: true });
  backend.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`echo ${m}`))));
  const pidOf = () => Number(fs.readFileSync(path.join(prefix, 'run', 'proxy.pid'), 'utf8'));
  const api = (method: string, route = '', body?: unknown) => fetch(`http://127.0.0.1:${apiPort}/api/routes${route}`, {
    method, headers: { Authorization: `token ${TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });

  before(async () => {
    [port, apiPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const backendPort = await freeLoopbackPort();
    await new Promise<void>((r) => backend.listen(backendPort, '127.0.0.1', r));
    fs.mkdirSync(path.join(prefix, 'config'), { recursive: true });
    fs.writeFileSync(path.join(prefix, 'config', 'config.yaml'), YAML.stringify({ proxy: { port, api_port: apiPort }, hub: { port: await freeLoopbackPort() }, log_level: 'warn' }));
    first = spawn(process.execPath, [BIN, 'proxy'], { env: { ...process.env, PLASMA_PREFIX: prefix, CONFIGPROXY_AUTH_TOKEN: TOKEN }, stdio: 'ignore' });
    await waitFor(async () => (await api('GET')).ok, 15_000, 'the proxy');
    assert.equal((await api('POST', '/user/pt-a', { target: `http://127.0.0.1:${backendPort}` })).status, 201);
  });

  after(async () => {
    for (const pid of [first?.pid, fs.existsSync(path.join(prefix, 'run', 'proxy.pid')) ? pidOf() : 0]) {
      if (pid && alive(pid)) process.kill(pid, 'SIGTERM');
    }
    await stopChild(first, 'SIGTERM');
    backend.closeAllConnections();
    await new Promise<void>((r) => backend.close(() => r()));
    fs.rmSync(prefix, { recursive: true, force: true });
  });

  it('serves every request and keeps a websocket open across the handover, then the old process exits', async () => {
    assert.equal(pidOf(), first.pid, 'the proxy records its pid');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/user/pt-a/api/kernels/x/channels`);
    await new Promise((r) => ws.once('open', r));
    const echo = (text: string) => new Promise<string>((resolve) => {
      ws.once('message', (m) => resolve(m.toString()));
      ws.send(text);
    });
    assert.equal(await echo('before'), 'echo before');

    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/user/pt-a/api/status?n=${ok}`);
          if ((await res.text()).startsWith('ok ') && res.status === 200) ok++;
          else failures.push(`status ${res.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    process.kill(first.pid!, 'SIGUSR2');
    await waitFor(() => pidOf() !== first.pid, 30_000, 'a new proxy to take over');
    const second = pidOf();
    assert.ok(alive(second));
    await new Promise((r) => setTimeout(r, 1000));
    running = false;
    await loop;
    assert.deepEqual(failures, [], `${ok} requests answered`);
    assert.ok(ok > 30, `requests flowed throughout (${ok})`);

    assert.equal(await echo('after'), 'echo after', 'the websocket opened before the handover still works');
    assert.ok(alive(first.pid!), 'the old process stays while its websocket is open');
    const routes = await (await api('GET')).json() as Record<string, unknown>;
    assert.ok('/user/pt-a' in routes, 'the new process has the routes');
    assert.equal((await api('POST', '/user/pt-b', { target: 'http://127.0.0.1:1' })).status, 201, 'and answers the routes API');

    ws.close();
    await waitFor(() => first.exitCode !== null, 20_000, 'the old proxy to exit');
    assert.equal(first.exitCode, 0);
    assert.equal((await fetch(`http://127.0.0.1:${port}/user/pt-a/x`)).status, 200, 'the new proxy serves on');
  });
});
