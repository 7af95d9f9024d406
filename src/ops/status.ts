import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import { openSnapshot, Repo } from '../db/index.ts';
import { EnvironmentService } from '../environments/index.ts';
import { createLogger } from '../log/index.ts';
import { listBackups } from './backup.ts';
import { currentRelease, listReleases } from './releases.ts';
import { SERVICES, systemdRuns, type Services, type ServiceState } from './services.ts';

/** `plasma status`: what an admin checks first, in one place. */

const run = promisify(execFile);

export interface HostStatus {
  version: string;
  release: { current: string | null; installed: string[] };
  services: ServiceState[];
  docker: { available: boolean; version?: string; root?: string; error?: string };
  users: number | null;
  servers: { running: number; pending: number } | null;
  environments: { total: number; built: number; building: number; failed: number; note?: string };
  backup: { last: string | null; age_hours: number | null; bytes: number | null; dir: string; schedule: string; user_data_repo: string | null };
  disk: Array<{ what: string; path: string; free_bytes: number; total_bytes: number }>;
}

function disk(what: string, where: string): HostStatus['disk'][number] | null {
  try {
    const s = fs.statfsSync(where);
    return { what, path: where, free_bytes: s.bavail * s.bsize, total_bytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

export async function hostStatus(paths: PlasmaPaths, config: PlasmaConfig, services: Services, version: string): Promise<HostStatus> {
  const docker: HostStatus['docker'] = { available: false };
  try {
    const { stdout } = await run('docker', ['info', '--format', '{{.ServerVersion}}|{{.DockerRootDir}}'], { timeout: 10_000 });
    const [v, root] = stdout.trim().split('|');
    Object.assign(docker, { available: true, version: v, root });
  } catch (err) {
    docker.error = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n')[0];
  }

  let users: number | null = null;
  let servers: HostStatus['servers'] = null;
  const environments: HostStatus['environments'] = { total: 0, built: 0, building: 0, failed: 0 };
  if (fs.existsSync(paths.database)) {
    const snap = openSnapshot(paths.database);
    try {
      users = Number((await snap.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      const rows = await snap.db.selectFrom('servers').select(['status']).where('status', '!=', 'stopped').execute();
      servers = { running: rows.filter((r) => r.status === 'running').length, pending: rows.filter((r) => r.status !== 'running').length };
      try {
        const all = await new EnvironmentService(new Repo(snap.db), config, paths, createLogger('plasma-status', 'error')).all();
        environments.total = all.length;
        environments.built = all.filter((e) => e.status === 'built').length;
        environments.building = all.filter((e) => e.build && ['queued', 'building'].includes(e.build.status)).length;
        environments.failed = all.filter((e) => e.status === 'failed').length;
      } catch (err) {
        environments.note = (err as Error).message;
      }
    } finally {
      await snap.close();
    }
  }

  const dir = config.backup.dir ?? paths.archivesDir;
  const last = listBackups(dir)[0];
  const schedule = systemdRuns()
    ? await run('systemctl', ['is-enabled', 'plasma-backup.timer']).then(({ stdout }) => `systemd timer ${stdout.trim()} (daily)`, () => 'no systemd timer')
    : 'not scheduled: no systemd here (run "plasma backup --scheduled" from cron)';

  return {
    version,
    release: { current: currentRelease(paths)?.id ?? null, installed: listReleases(paths).map((r) => r.id) },
    services: await Promise.all(SERVICES.map((s) => services.state(s))),
    docker,
    users,
    servers,
    environments,
    backup: {
      last: last?.file ?? null, age_hours: last ? Math.round((Date.now() - last.created.getTime()) / 36e5 * 10) / 10 : null,
      bytes: last?.bytes ?? null, dir, schedule, user_data_repo: config.backup.user_data.repo ?? null,
    },
    disk: [disk('state', paths.stateDir), docker.root ? disk('images', docker.root) : null].filter((d): d is HostStatus['disk'][number] => d !== null),
  };
}

const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;

export function formatStatus(s: HostStatus): string {
  const lines = [`plasma ${s.version}; release ${s.release.current ?? '(none installed: plasma install)'}${s.release.installed.length > 1 ? ` (${s.release.installed.length} installed)` : ''}`];
  for (const svc of s.services) {
    lines.push(`${svc.name.padEnd(8)}${svc.running ? `running, pid ${svc.pid}, ${svc.healthy ? 'healthy' : 'NOT ANSWERING'}` : 'stopped'}`);
  }
  lines.push(`docker  ${s.docker.available ? `${s.docker.version}` : `not available: ${s.docker.error}`}`);
  if (s.users !== null) lines.push(`users   ${s.users}; servers running ${s.servers!.running}${s.servers!.pending ? `, ${s.servers!.pending} starting or stopping` : ''}`);
  lines.push(`envs    ${s.environments.total} (${s.environments.built} built, ${s.environments.building} building, ${s.environments.failed} failed)${s.environments.note ? `; ${s.environments.note}` : ''}`);
  lines.push(`backup  ${s.backup.last ? `${s.backup.last}, ${s.backup.age_hours} h old` : `none yet in ${s.backup.dir}`}; ${s.backup.schedule}${s.backup.user_data_repo ? `; homes to ${s.backup.user_data_repo}` : ''}`);
  for (const d of s.disk) lines.push(`disk    ${d.what}: ${gb(d.free_bytes)} free of ${gb(d.total_bytes)} (${d.path})`);
  return lines.join('\n');
}
