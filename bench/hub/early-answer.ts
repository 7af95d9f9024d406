/**
 * bench/hub/early-answer: what a client gets for a 12 MB POST to the hub (which refuses bodies over 1 MB with a 413
 * before reading them), directly, through `plasma proxy`, and through configurable-http-proxy 4.5.3, in one run.
 * Also a backend that answers 401 before reading. Counts of answers; not a test (the test is
 * test/integration/proxy-early-answer.test.ts).
 *
 *   node --import tsx bench/hub/early-answer.ts [--rounds 20]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Stack } from '../../test/helpers/stack.ts';
import { benchArgs } from '../args.ts';

const values = benchArgs(import.meta.url, { rounds: { type: 'string', default: '20' } });
const ROUNDS = Number(values.rounds);
const BIG = new Uint8Array(12 * 1024 * 1024).fill(0x78);

async function tally(url: string, headers: Record<string, string>): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < ROUNDS; i++) {
    let key: string;
    try {
      const res = await fetch(url, { method: 'POST', body: BIG, headers: { 'Content-Type': 'application/json', ...headers }, signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      key = String(res.status);
    } catch (err) {
      key = String((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
    }
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}

const refusing = http.createServer((_req, res) => {
  res.writeHead(401, { 'Content-Type': 'application/json' });
  res.end('{"status":401}');
});
await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
const refusingUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;

console.log(`# ${ROUNDS} POSTs of 12 MB each, one after another`);
for (const proxy of ['plasma', 'chp'] as const) {
  const stack = new Stack({ proxy, config: { log_level: 'warn' } });
  try {
    await stack.start();
    await fetch(`${stack.proxyApiUrl}/api/routes/pb-refusing`, {
      method: 'POST', headers: { Authorization: `token ${stack.env.CONFIGPROXY_AUTH_TOKEN}` }, body: JSON.stringify({ target: refusingUrl }),
    });
    const auth = { Authorization: `token ${stack.adminToken}` };
    const name = proxy === 'plasma' ? 'plasma proxy' : 'configurable-http-proxy 4.5.3';
    if (proxy === 'plasma') console.log(`hub directly                      → POST /hub/api/users: ${JSON.stringify(await tally(`${stack.hubUrl}/hub/api/users`, auth))}`);
    console.log(`${name.padEnd(33)} → POST /hub/api/users: ${JSON.stringify(await tally(`${stack.apiUrl}/users`, auth))}`);
    console.log(`${name.padEnd(33)} → early-401 backend:   ${JSON.stringify(await tally(`${stack.publicUrl}/pb-refusing/x`, {}))}`);
  } finally {
    await stack.stop();
  }
}
refusing.close();
