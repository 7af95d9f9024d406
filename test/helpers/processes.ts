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
 * Live user servers of one installation: the session leaders whose output goes to a server log in its prefix
 * (<prefix>/logs/servers/). Exec'd and forked servers alike (a forked one's environ is its fork server's, so it
 * cannot be told by its environment), and an orphan the hub lost track of shows up too. Root only reads every fd.
 */
export function serverProcessesOf(prefix: string): number[] {
  const logs = `${prefix}/logs/servers/`;
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!fs.readlinkSync(`/proc/${entry}/fd/1`).startsWith(logs)) continue;
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const sid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
      if (sid === Number(entry) && alive(sid)) pids.push(sid);
    } catch {
      // exited meanwhile
    }
  }
  return pids.sort((a, b) => a - b);
}
