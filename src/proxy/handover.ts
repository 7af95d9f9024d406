import { fork, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
import type { Logger } from '../log/index.ts';
import type { InheritedListeners, RunningProxy } from './index.ts';

/**
 * A proxy hands its listening sockets to a new proxy process (a new release, during `plasma upgrade`) without
 * closing them: no connection is ever refused. The new process is started with an IPC channel, receives the
 * sockets, listens on them and says it is ready; only then does the old one stop accepting, and it lives on
 * until its own connections have finished (open websockets included).
 */

type Role = keyof InheritedListeners;

interface ListenerMessage {
  type: 'plasma:listener';
  role: Role;
  count: number;
}

const READY_TIMEOUT_MS = 30_000;

/** Old side: starts `bin proxy --takeover`, hands it the sockets, and retires once it is ready. */
export async function handOver(proxy: RunningProxy, bin: string, log: Logger): Promise<{ pid: number }> {
  const listeners = Object.entries(proxy.listeners()).filter(([, server]) => server) as Array<[Role, net.Server]>;
  const child: ChildProcess = fork(bin, ['proxy', '--takeover'], {
    detached: true, // its own process group: it must outlive this one
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: process.env,
  });
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the new proxy did not say it was ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    child.on('message', (msg: { type?: string; pid?: number }) => {
      if (msg?.type === 'plasma:ready') {
        clearTimeout(timer);
        resolve(msg.pid ?? child.pid!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the new proxy exited (${signal ?? code}) before it was ready`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  for (const [role, server] of listeners) {
    const message: ListenerMessage = { type: 'plasma:listener', role, count: listeners.length };
    child.send(message, server);
  }
  let pid: number;
  try {
    pid = await ready;
  } catch (err) {
    child.kill('SIGKILL');
    log.error({ err: (err as Error).message }, 'handover failed: this proxy keeps serving');
    throw err;
  }
  child.removeAllListeners('exit');
  child.disconnect();
  child.unref();
  log.info({ pid }, 'a new proxy took over the listeners; finishing the open connections');
  return { pid };
}

/** New side: waits for the sockets the old proxy sends (all of them, as it announces their number). */
export function receiveListeners(timeoutMs = 10_000): Promise<InheritedListeners> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('--takeover is only for a proxy started by another proxy (no IPC channel)'));
    const got: Partial<InheritedListeners> = {};
    const timer = setTimeout(() => reject(new Error('no listening sockets arrived from the old proxy')), timeoutMs);
    const onMessage = (msg: ListenerMessage, handle: net.Server) => {
      if (msg?.type !== 'plasma:listener' || !handle) return;
      got[msg.role] = handle;
      if (Object.keys(got).length === msg.count) {
        clearTimeout(timer);
        process.off('message', onMessage);
        if (!got.public || !got.api) return reject(new Error('the old proxy did not send its public and API sockets'));
        resolve(got as InheritedListeners);
      }
    };
    process.on('message', onMessage);
  });
}

/** New side, once listening: tells the old proxy to retire, and lets go of the channel. */
export function announceReady(): void {
  process.send?.({ type: 'plasma:ready', pid: process.pid }, () => process.disconnect?.());
}
