import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Bulk work in slices: better-sqlite3 runs each statement on the event loop, so thousands of rows in one go
 * would hold every other request. A slice of CHUNK rows takes a few milliseconds; between slices the loop
 * serves whatever else waits.
 */
export const CHUNK = 250;

export function chunksOf<T>(list: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Lets the event loop run what waits (I/O callbacks included) before the next slice. */
export function yieldToLoop(): Promise<void> {
  return nextTurn();
}

/** `fn` over each slice in turn, yielding between slices; the results concatenated. */
export async function inChunks<T, R>(list: readonly T[], fn: (slice: T[]) => Promise<R[]>, size = CHUNK): Promise<R[]> {
  const out: R[] = [];
  const slices = chunksOf(list, size);
  for (const [i, slice] of slices.entries()) {
    if (i > 0) await yieldToLoop();
    for (const r of await fn(slice)) out.push(r);
  }
  return out;
}
