import fs from 'node:fs';
import os from 'node:os';
import type { HostStats } from './types.ts';

export type { HostStats };

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** MemAvailable (what can be used without swapping), which os.freemem() does not give. */
function memAvailable(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return os.freemem();
}

/** The host's CPU (busy share since the previous reading), memory and the disks that hold user data. */
export class HostSampler {
  private last = cpuTimes();
  private lastPercent = 0;

  constructor(private readonly diskPaths: string[]) {}

  read(): HostStats {
    const now = cpuTimes();
    const total = now.total - this.last.total;
    if (total > 0) {
      this.lastPercent = Math.round(1000 * (1 - (now.idle - this.last.idle) / total)) / 10;
      this.last = now;
    }
    const disks: HostStats['disks'] = [];
    const seen = new Set<string>();
    for (const p of this.diskPaths) {
      try {
        const s = fs.statfsSync(p);
        const key = `${s.type}:${s.blocks}:${s.bfree}`;
        if (seen.has(key)) continue; // same filesystem as a path already listed
        seen.add(key);
        disks.push({ path: p, total: s.blocks * s.bsize, available: s.bavail * s.bsize });
      } catch {
        // path missing
      }
    }
    return {
      at: new Date().toISOString(),
      cpu: { cores: os.cpus().length, percent: this.lastPercent, load: os.loadavg().map((l) => Math.round(l * 100) / 100) },
      memory: { total: os.totalmem(), available: memAvailable() },
      disks,
      uptime_seconds: Math.round(os.uptime()),
    };
  }
}
