import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';

/**
 * A service hands its listening sockets to a successor process (new code after an upgrade) without ever
 * closing them, so no connection is refused: the successor is forked with an IPC channel and receives the
 * sockets. Two ways to go on from there:
 * - overlapping (the proxy): the successor listens at once and says it is ready; the old one stops accepting
 *   and finishes its connections;
 * - in turn (the hub, which owns state): the successor loads and waits; the old one stops accepting and shuts
 *   down (its timers, its database); new connections wait in the socket's backlog meanwhile; then it tells the
 *   successor to go, which starts and accepts them.
 */

interface ListenerMessage {
  type: 'plasma:listener';
  role: string;
  count: number;
}

export class Successor {
  private readonly messages = new Map<string, Array<(msg: any) => void>>();
  private exited: string | null = null;

  constructor(readonly child: ChildProcess) {
    child.on('message', (msg: { type?: string }) => {
      for (const fn of this.messages.get(msg?.type ?? '') ?? []) fn(msg);
    });
    child.once('exit', (code, signal) => (this.exited = `${signal ?? code}`));
  }

  /** Waits for a message of this type from the successor; fails if it exits first or the time is up. */
  waitFor(type: 'plasma:loaded' | 'plasma:ready', timeoutMs: number): Promise<{ pid: number }> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`the new process exited (${this.exited})`));
      const timer = setTimeout(() => reject(new Error(`the new process did not say ${type.replace('plasma:', '')} within ${timeoutMs / 1000} s`)), timeoutMs);
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        reject(new Error(`the new process exited (${signal ?? code}) before it was ${type.replace('plasma:', '')}`));
      };
      this.child.once('exit', onExit);
      const list = this.messages.get(type) ?? [];
      list.push((msg) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        resolve({ pid: msg.pid ?? this.child.pid });
      });
      this.messages.set(type, list);
    });
  }

  go(): void {
    this.child.send({ type: 'plasma:go' });
  }

  /** The successor runs on its own from now on. */
  release(): void {
    this.child.removeAllListeners('message');
    if (this.child.connected) this.child.disconnect();
    this.child.unref();
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** Forks `bin args…` (detached: it must outlive this process) and sends it the listening sockets. */
export function forkSuccessor(bin: string, args: string[], listeners: Record<string, net.Server | undefined>, env = process.env): Successor {
  const child = fork(bin, args, { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
  const successor = new Successor(child);
  const present = Object.entries(listeners).filter((e): e is [string, net.Server] => Boolean(e[1]));
  for (const [role, server] of present) {
    child.send({ type: 'plasma:listener', role, count: present.length } satisfies ListenerMessage, handleOf(server) as never);
  }
  return successor;
}

/**
 * A listening socket as it travels between processes: the bare handle (Node's net.Server keeps it in _handle).
 * Sent that way, and not as a net.Server, the successor does not accept anything until it calls listen() on
 * it; until then new connections wait in the socket's backlog. (A net.Server arrives already accepting, before
 * its receiver can attach a handler: connections accepted in that moment would hang.)
 */
export type ListeningHandle = object;

function handleOf(server: net.Server): ListeningHandle {
  const handle = (server as unknown as { _handle?: ListeningHandle })._handle;
  if (!handle) throw new Error('the server is not listening');
  return handle;
}

/** Listens on a handle received from the predecessor. */
export function listenOn(server: net.Server, handle: ListeningHandle): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(handle, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The successor's side: the sockets its predecessor sends, all of them (it announces how many). */
export function receiveListeners(timeoutMs = 10_000): Promise<Record<string, ListeningHandle>> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('--takeover is only for a process started by the one it replaces (no IPC channel)'));
    const got: Record<string, ListeningHandle> = {};
    const timer = setTimeout(() => reject(new Error('no listening sockets arrived from the process this one replaces')), timeoutMs);
    const onMessage = (msg: ListenerMessage, handle: ListeningHandle) => {
      if (msg?.type !== 'plasma:listener' || !handle) return;
      got[msg.role] = handle;
      if (Object.keys(got).length === msg.count) {
        clearTimeout(timer);
        process.off('message', onMessage);
        resolve(got);
      }
    };
    process.on('message', onMessage);
  });
}

/** The successor's side: waits for the predecessor's go (it has shut down). */
export function waitForGo(timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the process this one replaces did not finish shutting down in time')), timeoutMs);
    const onMessage = (msg: { type?: string }) => {
      if (msg?.type !== 'plasma:go') return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
  });
}

/** The successor's side: tells the predecessor where it is (`loaded`, then `ready`, which also lets the channel go). */
export function announce(type: 'plasma:loaded' | 'plasma:ready'): void {
  process.send?.({ type, pid: process.pid }, () => {
    if (type === 'plasma:ready') process.disconnect?.();
  });
}

/** How the last handover of a service went, for whoever asked for it (`plasma upgrade`, `plasma restart`). */
export interface HandoverStatus {
  state: 'failed' | 'done';
  error?: string;
  pid?: number;
  at: string;
}

function statusFile(runDir: string, service: string): string {
  return path.join(runDir, `${service}.handover.json`);
}

export function writeHandoverStatus(runDir: string, service: string, status: Omit<HandoverStatus, 'at'>): void {
  try {
    fs.writeFileSync(statusFile(runDir, service), JSON.stringify({ ...status, at: new Date().toISOString() }));
  } catch {
    // best effort: the caller also watches the pid file
  }
}

export function takeHandoverStatus(runDir: string, service: string): HandoverStatus | null {
  try {
    const status = JSON.parse(fs.readFileSync(statusFile(runDir, service), 'utf8')) as HandoverStatus;
    fs.rmSync(statusFile(runDir, service), { force: true });
    return status;
  } catch {
    return null;
  }
}

export function clearHandoverStatus(runDir: string, service: string): void {
  fs.rmSync(statusFile(runDir, service), { force: true });
}
