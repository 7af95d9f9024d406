import path from 'node:path';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import { LocalProcessSpawner } from './local.ts';
import type { Spawner } from './types.ts';

export async function createSpawner(config: PlasmaConfig, paths: PlasmaPaths, logger: Logger, hubConnectUrl: string): Promise<Spawner> {
  if (config.spawner.type === 'docker') {
    const { DockerSpawner } = await import('./docker/index.ts');
    return new DockerSpawner(config.spawner, { logger, hubConnectUrl });
  }
  return new LocalProcessSpawner(config.spawner, {
    runDir: paths.runDir, logsDir: paths.logsDir, userDataDir: path.join(paths.prefix, 'userdata'), logger,
  });
}

export * from './types.ts';
