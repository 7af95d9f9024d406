import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import { SERVICES, systemdRuns, type Services } from './services.ts';
import { units } from './units.ts';

/**
 * `plasma uninstall`: the services and the software go; the state, the config, the backups, the environment
 * images and every home stay, so a later install picks up where this one stopped. `--purge` also removes
 * the prefix and the environment images. Homes are never touched: students' files belong to them.
 */

const run = promisify(execFile);

export async function uninstall(paths: PlasmaPaths, config: PlasmaConfig, services: Services, options: { purge: boolean; say: (line: string) => void }): Promise<string[]> {
  const removed: string[] = [];
  const say = options.say;
  for (const name of [...SERVICES].reverse()) {
    const state = await services.state(name);
    if (state.running) {
      await services.stop(name);
      removed.push(`stopped the ${name}`);
    }
  }
  if (systemdRuns()) {
    await run('systemctl', ['disable', '--now', 'plasma-hub', 'plasma-proxy', 'plasma-backup.timer']).catch(() => undefined);
    for (const name of Object.keys(units({ prefix: paths.prefix, node: process.execPath, allocator: null }))) {
      const file = path.join('/etc/systemd/system', name);
      if (fs.existsSync(file)) {
        fs.rmSync(file);
        removed.push(`removed ${file}`);
      }
    }
    await run('systemctl', ['daemon-reload']).catch(() => undefined);
  }
  const app = path.dirname(paths.currentRelease);
  if (fs.existsSync(app)) {
    fs.rmSync(app, { recursive: true, force: true });
    removed.push(`removed the software (${app})`);
  }
  if (!options.purge) {
    say(`kept: the state (${paths.stateDir}), the config, the backups, the environment images and every home`);
    return removed;
  }
  const images = await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', '--filter', 'label=plasma.environment.name'])
    .then(({ stdout }) => stdout.split('\n').filter(Boolean).map((l) => l.split(' ')), () => [] as string[][]);
  for (const [tag, id] of images) {
    if (!tag.startsWith(config.environments.image_prefix)) continue;
    await run('docker', ['rmi', '-f', id]).then(() => removed.push(`removed the image ${tag}`), () => say(`could not remove the image ${tag} (a container may use it)`));
  }
  fs.rmSync(paths.prefix, { recursive: true, force: true });
  removed.push(`removed ${paths.prefix} (state, config, backups)`);
  say('kept: every home (students\' files are never removed by Plasma)');
  return removed;
}
