// Types only (no imports): the web UI reads this file too.

/** The host's figures, as GET /hub/api/plasma/monitoring/host answers them. */
export interface HostStats {
  at: string;
  cpu: { cores: number; percent: number; load: number[] };
  memory: { total: number; available: number };
  disks: Array<{ path: string; total: number; available: number }>;
  uptime_seconds: number;
}
