import crypto from 'node:crypto';
import path from 'node:path';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import { LocalProcessSpawner } from './local.ts';
import type { Spawner } from './types.ts';

export async function createSpawner(config: PlasmaConfig, paths: PlasmaPaths, logger: Logger, hubConnectUrl: string): Promise<Spawner> {
  if (config.spawner.type === 'docker') {
    const { DockerSpawner } = await import('./docker/index.ts');
    // The database's path names the installation: containers of another hub on the same daemon are never ours.
    const installId = crypto.createHash('sha256').update(path.resolve(paths.database)).digest('hex').slice(0, 16);
    return new DockerSpawner(config.spawner, { logger, hubConnectUrl, installId });
  }
  return new LocalProcessSpawner(config.spawner, {
    runDir: paths.runDir, logsDir: paths.logsDir, userDataDir: path.join(paths.prefix, 'userdata'), logger,
  });
}

export * from './types.ts';
