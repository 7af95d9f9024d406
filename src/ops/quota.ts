import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export { formatSize, parseSize } from './sizes.ts';

/** Kernel disk quotas through setquota. */

export class QuotaError extends Error {}

interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
  options: string[];
}

/** The mount a path lives on (the longest mount point that contains it). */
export function mountOf(target: string): Mount | null {
  let best: Mount | null = null;
  const resolved = path.resolve(target);
  for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [device, mountPoint, fsType, options] = line.split(' ');
    if (!mountPoint) continue;
    const inside = resolved === mountPoint || resolved.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`);
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) best = { device, mountPoint, fsType, options: options.split(',') };
  }
  return best;
}

/** What the running kernel says about quota formats, when it publishes its config. */
function kernelQuotaFacts(): string | null {
  try {
    const config = zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString('utf8');
    if (/^# CONFIG_QUOTA is not set/m.test(config)) return 'this kernel has no disk-quota support (CONFIG_QUOTA is off)';
    if (/^# CONFIG_QFMT_V2 is not set/m.test(config)) return 'this kernel has no quota file format for ext4 and others (CONFIG_QFMT_V2 is off), so no filesystem can be mounted with quotas';
  } catch {
    // no /proc/config.gz: nothing more to say
  }
  return null;
}

/** Why user quotas cannot work for `home` (its filesystem is mounted without them, or the kernel lacks them), or null. */
export function quotaProblem(home: string): string | null {
  const mount = mountOf(home);
  if (!mount) return `cannot find the filesystem of ${home}`;
  const facts = [
    mount.options.some((o) => /^(usr(j)?quota|quota)/.test(o)) ? null : `${mount.mountPoint} (${mount.fsType} on ${mount.device}) is not mounted with user quotas (usrquota)`,
    kernelQuotaFacts(),
  ].filter(Boolean);
  return facts.length ? `${facts.join('; ')}. Plasma's own limits work without kernel quotas: set users.disk.setquota to false to use only them` : null;
}

/**
 * Sets a user's block quota on the filesystem holding `home` with setquota (soft and hard, in bytes). Where the
 * filesystem or kernel cannot, the message says why, in words an admin can act on.
 */
export async function setQuota(user: string, home: string, softBytes: number, hardBytes: number): Promise<void> {
  const mount = mountOf(fs.existsSync(home) ? home : path.dirname(home));
  if (!mount) throw new QuotaError(`setquota: cannot find the filesystem of ${home}`);
  const kib = (b: number) => String(Math.ceil(b / 1024));
  const stderr = await new Promise<string | null>((resolve) => {
    execFile('setquota', ['-u', user, kib(softBytes), kib(hardBytes), '0', '0', mount.mountPoint], { timeout: 30_000 }, (err, _out, errText) => {
      resolve(err ? String(errText).trim() || err.message : null);
    });
  });
  if (stderr === null) return;
  const enabled = mount.options.some((o) => /^(usr(j)?quota|quota)/.test(o));
  const why = [
    `setquota could not set a quota for ${user} on ${mount.mountPoint} (${mount.fsType} on ${mount.device}): ${stderr.split('\n')[0].replace(/\.$/, '')}`,
    enabled ? null : `${mount.mountPoint} is not mounted with user quotas (usrquota)`,
    kernelQuotaFacts(),
    "Plasma's own limits (a warning over the soft limit, no new server over the hard one) work without kernel quotas: set users.disk.setquota to false to use only them",
  ].filter(Boolean);
  throw new QuotaError(why.join('. ') + '.');
}
