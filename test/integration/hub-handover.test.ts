import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { hubAllocator } from '../../src/system/runtime.ts';
import { Stack } from '../helpers/stack.ts';

/** The jemalloc mapped into a process, if any. */
function allocatorOf(pid: number): string | null {
  return fs.readFileSync(`/proc/${pid}/maps`, 'utf8').match(/\S*libjemalloc\S*/)?.[0] ?? null;
}

// Issues 13 and 15: `plasma restart hub` and upgrades hand the hub's listening socket to a successor (SIGUSR2). The
// old hub must not close a keep-alive connection under a client's next request: it tells open connections to close
// after their answer for a moment first, and new connections wait in the socket's backlog for the successor.
describe('hub hand-over', () => {
  const stack = new Stack({ config: { log_level: 'warn', culler: { enabled: false } } });
  before(() => stack.start());
  after(() => stack.stop());

  it('a keep-alive client asking without pause through three hand-overs gets every answer', async () => {
    const headers = { Authorization: `token ${stack.adminToken}` };
    const failures: string[] = [];
    let answered = 0;
    let done = false;
    const probe = (async () => {
      while (!done) {
        try {
          const res = await fetch(`${stack.hubUrl}/hub/api/users/${stack.adminUser}`, { headers, signal: AbortSignal.timeout(20_000) });
          await res.arrayBuffer();
          if (res.status === 200) answered++;
          else failures.push(`status ${res.status}`);
        } catch (err) {
          failures.push(String((err as Error & { cause?: Error }).cause?.message ?? err));
        }
      }
    })();
    const pids = [stack.hub!.pid];
    const allocators = [allocatorOf(stack.hub!.pid!)];
    try {
      for (let round = 0; round < 3; round++) {
        await delay(300);
        await stack.handOverHub();
        pids.push(stack.hub!.pid);
        allocators.push(allocatorOf(stack.hub!.pid!));
      }
      await delay(300);
    } finally {
      done = true;
      await probe;
    }
    assert.equal(new Set(pids).size, 4, `four hub processes in turn: ${pids.join(', ')}`);
    assert.deepEqual(failures, [], `${failures.length} of ${answered + failures.length} requests failed`);
    assert.ok(answered > 100, `${answered} answers`);
    const jemalloc = hubAllocator();
    assert.ok(jemalloc, 'libjemalloc2 is installed (.ci/run installs it)');
    assert.deepEqual(allocators, pids.map(() => jemalloc), 'every hub, the first and each successor, runs on jemalloc');
  });
});
