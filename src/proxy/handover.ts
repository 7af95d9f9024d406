import type net from 'node:net';
import type { Logger } from '../log/index.ts';
import { announce, forkSuccessor, receiveListeners as receive } from '../system/handover.ts';
import type { InheritedListeners, RunningProxy } from './index.ts';

/**
 * The proxy's handover overlaps: the new process (a new release, during `plasma upgrade`) listens on the same
 * sockets at once, and only then does this one stop accepting; it lives on until its own connections have
 * finished, open websockets included. No connection is refused or cut.
 */

const READY_TIMEOUT_MS = 30_000;

export async function handOver(proxy: RunningProxy, bin: string, log: Logger): Promise<{ pid: number }> {
  const successor = forkSuccessor(bin, ['proxy', '--takeover'], { ...proxy.listeners() });
  try {
    const { pid } = await successor.waitFor('plasma:ready', READY_TIMEOUT_MS);
    successor.release();
    log.info({ pid }, 'a new proxy took over the listeners; finishing the open connections');
    return { pid };
  } catch (err) {
    successor.kill();
    log.error({ err: (err as Error).message }, 'handover failed: this proxy keeps serving');
    throw err;
  }
}

export async function receiveListeners(): Promise<InheritedListeners> {
  const got = await receive();
  if (!got.public || !got.api) throw new Error('the old proxy did not send its public and API sockets');
  return got as unknown as InheritedListeners & Record<string, net.Server>;
}

export const announceReady = (): void => announce('plasma:ready');
