import path from 'node:path';

/** All on-disk locations derive from one prefix (TLJH's layout); PLASMA_PREFIX moves everything. */
export interface PlasmaPaths {
  prefix: string;
  configFile: string;
  stateDir: string;
  database: string;
  backupsDir: string;
  proxyTokenFile: string;
  routesFile: string;
  secretsFile: string;
  logsDir: string;
  runDir: string;
  /** Releases side by side under app/releases/<id>/, app/current → the one in use. */
  releasesDir: string;
  currentRelease: string;
  /** `plasma backup` archives (and the ones an upgrade takes). */
  archivesDir: string;
  /** Checkouts waiting to be built, and other things that can be thrown away. */
  cacheDir: string;
}

export const DEFAULT_PREFIX = '/opt/plasma';

export function resolvePaths(prefix = process.env.PLASMA_PREFIX || DEFAULT_PREFIX): PlasmaPaths {
  const root = path.resolve(prefix);
  const stateDir = path.join(root, 'state');
  return {
    prefix: root,
    configFile: path.join(root, 'config', 'config.yaml'),
    stateDir,
    database: path.join(stateDir, 'plasma.sqlite'),
    backupsDir: path.join(stateDir, 'backups'),
    proxyTokenFile: path.join(stateDir, 'proxy-token'),
    routesFile: path.join(stateDir, 'proxy-routes.json'),
    secretsFile: path.join(stateDir, 'hub-secret'),
    logsDir: path.join(root, 'logs'),
    runDir: path.join(root, 'run'),
    releasesDir: path.join(root, 'app', 'releases'),
    currentRelease: path.join(root, 'app', 'current'),
    archivesDir: path.join(root, 'backups'),
    cacheDir: path.join(root, 'cache'),
  };
}
