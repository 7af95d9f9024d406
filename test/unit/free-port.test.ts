import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { freeLoopbackPort } from '../../src/spawner/local.ts';

test('free loopback ports come from below the ephemeral range, are distinct and can be listened on', async () => {
  const ephemeralStart = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  // Asked for all at once, before any is used: as the bench and the tests do.
  const ports = await Promise.all(Array.from({ length: 50 }, () => freeLoopbackPort()));
  assert.equal(new Set(ports).size, ports.length, 'no port is handed out twice');
  for (const port of ports) assert.ok(port >= 1024 && port < ephemeralStart, `${port} is outside the kernel's outgoing range`);
  const servers = await Promise.all(ports.map((port) => new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  })));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});
