import fs from 'node:fs';
import type { ServerUsage } from './types.ts';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Plasma runs on
const PAGE_BYTES = 4096;

/** CPU time and resident memory of every process in a process group, read from /proc. */
export function processGroupUsage(pgid: number): ServerUsage | null {
  let ticks = 0;
  let pages = 0;
  let found = false;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name (which may hold spaces): state is [0], pgrp [2], utime [11], stime [12], rss [21].
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    found = true;
    ticks += Number(f[11]) + Number(f[12]);
    pages += Number(f[21]);
  }
  return found ? { cpuSeconds: ticks / TICKS_PER_SECOND, memoryBytes: pages * PAGE_BYTES } : null;
}
