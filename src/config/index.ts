export { configSchema, type PlasmaConfig } from './schema.ts';
export { resolvePaths, DEFAULT_PREFIX, type PlasmaPaths } from './paths.ts';
export { loadConfig, parseConfig, readRawConfig, describeIssues, ConfigError } from './load.ts';
export { ensureSecretFile } from './secrets.ts';
