import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fetchTrusting } from '../../src/auth/https-fetch.ts';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { stopChild } from './processes.ts';
import { waitFor } from './stack.ts';
import type { TestCa } from './tls-ca.ts';

/**
 * Debian's pebble (Let's Encrypt's ACME test server) on 127.0.0.1: its own HTTPS from a test CA, HTTP-01
 * validation sent to `httpPort` on 127.0.0.1 (the proxy's plain-HTTP port), no random sleeps or nonce rejects.
 */
export class Pebble {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-pebble-'));
  port = 0;
  managementPort = 0;
  private child: ChildProcess | null = null;
  log = '';

  constructor(private readonly ca: TestCa) {}

  get directoryUrl() { return `https://127.0.0.1:${this.port}/dir`; }

  async start(httpPort: number): Promise<void> {
    const { cert, key } = this.ca.issue('pebble');
    [this.port, this.managementPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const config = path.join(this.dir, 'pebble-config.json');
    fs.writeFileSync(config, JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${this.port}`, managementListenAddress: `127.0.0.1:${this.managementPort}`,
        certificate: cert, privateKey: key, httpPort, tlsPort: await freeLoopbackPort(), ocspResponderURL: '', externalAccountBindingRequired: false,
      },
    }));
    this.child = spawn('/usr/bin/pebble', ['-config', config], {
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.log += d));
    this.child.stderr!.on('data', (d) => (this.log += d));
    const get = fetchTrusting(fs.readFileSync(this.ca.caCert));
    await waitFor(async () => {
      if (this.child!.exitCode !== null) throw new Error(`pebble exited: ${this.log}`);
      return (await get(this.directoryUrl)).ok;
    }, 15_000, 'pebble');
  }

  /** The root that pebble's certificates chain to (made afresh at every start). */
  async root(): Promise<string> {
    const res = await fetchTrusting(fs.readFileSync(this.ca.caCert))(`https://127.0.0.1:${this.managementPort}/roots/0`);
    return res.text();
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 'SIGTERM');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
