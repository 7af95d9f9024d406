import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { configSchema, type PlasmaConfig } from './schema.ts';
import { resolvePaths, type PlasmaPaths } from './paths.ts';

export class ConfigError extends Error {}

/** Turns zod issues into "key.path: what is wrong" lines an operator can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const key = issue.path.join('.') || '(root)';
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => `${key === '(root)' ? k : `${key}.${k}`}: unknown key`).join('\n');
      }
      return `${key}: ${issue.message}`;
    })
    .join('\n');
}

export function parseConfig(raw: unknown, source = 'config'): PlasmaConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(`invalid ${source}:\n${describeIssues(result.error)}`);
  return result.data;
}

export function readRawConfig(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) return {};
  const text = fs.readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${file}: the top level must be a mapping`);
  return raw as Record<string, unknown>;
}

export function loadConfig(paths: PlasmaPaths = resolvePaths()): PlasmaConfig {
  return parseConfig(readRawConfig(paths.configFile), paths.configFile);
}

export { resolvePaths };
export type { PlasmaConfig, PlasmaPaths };
