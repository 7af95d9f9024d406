import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * A process this one did not start (a successor hub, forked by its predecessor), as the few parts of a
 * ChildProcess that stopChild uses: its exit is seen by polling /proc.
 */
export function processHandle(pid: number): ChildProcess {
  const handle = {
    pid, exitCode: null as number | null, signalCode: null,
    kill: (signal?: NodeJS.Signals) => {
      try {
        return process.kill(pid, signal);
      } catch {
        return false; // already gone: its exit is seen by the poll below
      }
    },
    once: (_event: 'exit', done: () => void) => {
      const timer = setInterval(() => {
        if (alive(pid)) return;
        clearInterval(timer);
        handle.exitCode = 0;
        done();
      }, 20);
      return handle;
    },
  };
  return handle as unknown as ChildProcess;
}

/** Signals a child we started and waits until it has exited (nothing to do if it already has). */
export async function stopChild(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await gone;
}

/**
 * Live processes started for one hub: those whose environment points JUPYTERHUB_API_URL at it (every user server it
 * spawns carries it, so an orphan the hub lost track of shows up here too). Root only reads every environ.
 */
export function serverProcessesOf(apiUrl: string): number[] {
  const needle = Buffer.from(`\0JUPYTERHUB_API_URL=${apiUrl}\0`);
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = Buffer.concat([Buffer.from('\0'), fs.readFileSync(`/proc/${entry}/environ`), Buffer.from('\0')]);
      if (environ.includes(needle) && alive(Number(entry))) pids.push(Number(entry));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return pids.sort((a, b) => a - b);
}
