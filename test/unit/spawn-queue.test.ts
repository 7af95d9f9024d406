import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpawnQueue } from '../../src/servers/queue.ts';

describe('the spawn queue (spawner.concurrent_spawn_limit)', () => {
  it('runs up to the limit at once, then lets the rest in first come first served, telling each its place', async () => {
    const queue = new SpawnQueue(2);
    const places: Record<string, number[]> = { c: [], d: [], e: [] };
    const order: string[] = [];
    const take = (name: string) => queue.acquire(new AbortController().signal, (ahead) => places[name]?.push(ahead))
      .then((release) => { order.push(name); return release; });
    const [a, b] = await Promise.all([take('a'), take('b')]);
    const c = take('c');
    const d = take('d');
    const e = take('e');
    assert.deepEqual([queue.running, queue.waiting], [2, 3]);
    a();
    a(); // a second release of the same slot changes nothing
    const releaseC = await c;
    assert.deepEqual([queue.running, queue.waiting], [2, 2]);
    b();
    releaseC();
    const [releaseD, releaseE] = await Promise.all([d, e]);
    assert.deepEqual(order, ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(places, { c: [0], d: [1, 0], e: [2, 1, 0] });
    releaseD();
    releaseE();
    assert.deepEqual([queue.running, queue.waiting], [0, 0]);
  });

  it('a cancelled start leaves the line and those behind it move up', async () => {
    const queue = new SpawnQueue(1);
    const first = await queue.acquire(new AbortController().signal, () => undefined);
    const cancel = new AbortController();
    const places: number[] = [];
    const cancelled = queue.acquire(cancel.signal, () => undefined);
    const behind = queue.acquire(new AbortController().signal, (ahead) => places.push(ahead));
    cancel.abort(new Error('the start was cancelled'));
    await assert.rejects(cancelled, /cancelled/);
    assert.deepEqual(places, [1, 0]);
    first();
    (await behind)();
    assert.equal(queue.running, 0);
  });

  it('0 means no limit, and a raised limit lets waiting starts in at once', async () => {
    const open = new SpawnQueue(0);
    await Promise.all(Array.from({ length: 50 }, () => open.acquire(new AbortController().signal, () => assert.fail('nobody waits'))));
    assert.equal(open.running, 50);
    const small = new SpawnQueue(1);
    await small.acquire(new AbortController().signal, () => undefined);
    const waiting = small.acquire(new AbortController().signal, () => undefined);
    small.setLimit(2);
    await waiting;
    assert.equal(small.running, 2);
  });
});
