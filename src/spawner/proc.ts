import fs from 'node:fs';
import type { ServerUsage } from './types.ts';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Plasma runs on
const PAGE_BYTES = 4096;

/** The pids in /proc now (as its directory names); none when /proc cannot be read. */
function processIds(): string[] {
  try {
    return fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
}

/**
 * The fields of /proc/<pid>/stat after the command name (which may hold spaces, so they resume after the last ')'):
 * state is [0], pgrp [2], utime [11], stime [12], starttime [19], rss [21]. Null when the process is gone.
 */
export function statFields(pid: number | string): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU time and resident memory of every process in a process group, read from /proc. */
export function processGroupUsage(pgid: number): ServerUsage | null {
  return processGroupsUsage([pgid]).get(pgid) ?? null;
}

/** The same for many process groups with one pass over /proc (100 servers: one scan, not 100). */
export function processGroupsUsage(pgids: number[]): Map<number, ServerUsage> {
  const wanted = new Set(pgids);
  const out = new Map<number, ServerUsage>();
  for (const entry of processIds()) {
    const f = statFields(entry);
    if (!f) continue; // exited meanwhile
    const pgid = Number(f[2]);
    if (!wanted.has(pgid)) continue;
    const seen = out.get(pgid) ?? { cpuSeconds: 0, memoryBytes: 0 };
    seen.cpuSeconds += (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
    seen.memoryBytes += Number(f[21]) * PAGE_BYTES;
    out.set(pgid, seen);
  }
  return out;
}

/**
 * Processes whose environment holds `name=<one of values>`, as value → pids, with one pass over /proc. It finds a
 * process by a mark given to it before it was forked, when its pid was never recorded (a hub killed mid-spawn).
 */
export function processesByEnvironment(name: string, values: Iterable<string>): Map<string, number[]> {
  const wanted = new Set(values);
  const out = new Map<string, number[]>();
  if (!wanted.size) return out;
  const prefix = Buffer.from(`\0${name}=`);
  for (const entry of processIds()) {
    let environ: Buffer;
    try {
      environ = Buffer.concat([Buffer.from('\0'), fs.readFileSync(`/proc/${entry}/environ`)]);
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    const at = environ.indexOf(prefix);
    if (at < 0) continue;
    const start = at + prefix.length;
    const end = environ.indexOf(0, start);
    const value = environ.subarray(start, end < 0 ? environ.length : end).toString();
    if (wanted.has(value)) out.set(value, [...(out.get(value) ?? []), Number(entry)]);
  }
  return out;
}
