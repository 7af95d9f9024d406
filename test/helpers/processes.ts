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

/** Signals a child we started and waits until it has exited (nothing to do if it already has). */
export async function stopChild(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await gone;
}
