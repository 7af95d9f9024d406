/**
 * What an environment image says about itself. The labels are the catalogue's source of truth (a fresh
 * database on the same host still finds every environment), so they hold every build setting except
 * credentials, which are never written anywhere. tljh-repo2docker's and repo2docker's labels are written
 * too, and read back, so images built by the Python stack on the same host are recognised.
 */

export interface EnvironmentSettings {
  name: string;
  displayName: string;
  description: string;
  /** The repository URL as given, without credentials. */
  repo: string;
  ref: string;
  memory: string | null;
  cpu: number | null;
  buildArgs: Record<string, string>;
}

export interface ImageFacts extends EnvironmentSettings {
  /** The tag the environment was built as. */
  image: string;
  commit: string | null;
  owner: string | null;
  builtAt: string | null;
  source: 'plasma' | 'tljh-repo2docker';
}

export const LABEL = {
  name: 'plasma.environment.name',
  displayName: 'plasma.environment.display_name',
  description: 'plasma.environment.description',
  image: 'plasma.environment.image',
  repo: 'plasma.environment.repo',
  ref: 'plasma.environment.ref',
  commit: 'plasma.environment.commit',
  memory: 'plasma.environment.mem_limit',
  cpu: 'plasma.environment.cpu_limit',
  buildArgs: 'plasma.environment.build_args',
  owner: 'plasma.environment.owner',
  builtAt: 'plasma.environment.built_at',
  builder: 'plasma.environment.builder_version',
} as const;

const TLJH = 'tljh_repo2docker';

/** dd/mm/YYYY, as tljh-repo2docker writes its creation_date. */
function tljhDate(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;
}

export function environmentLabels(s: EnvironmentSettings, facts: { image: string; commit: string; owner: string; builtAt: string; version: string }): Record<string, string> {
  return {
    [LABEL.name]: s.name,
    [LABEL.displayName]: s.displayName,
    [LABEL.description]: s.description,
    [LABEL.image]: facts.image,
    [LABEL.repo]: s.repo,
    [LABEL.ref]: s.ref,
    [LABEL.commit]: facts.commit,
    [LABEL.memory]: s.memory ?? '',
    [LABEL.cpu]: s.cpu === null ? '' : String(s.cpu),
    [LABEL.buildArgs]: JSON.stringify(s.buildArgs),
    [LABEL.owner]: facts.owner,
    [LABEL.builtAt]: facts.builtAt,
    [LABEL.builder]: facts.version,
    'repo2docker.repo': s.repo,
    'repo2docker.ref': s.ref,
    'repo2docker.version': `plasma-${facts.version}`,
    [`${TLJH}.display_name`]: s.displayName,
    [`${TLJH}.image_name`]: facts.image,
    [`${TLJH}.creation_date`]: tljhDate(facts.builtAt),
    [`${TLJH}.owner`]: facts.owner,
    [`${TLJH}.mem_limit`]: s.memory ?? '',
    [`${TLJH}.cpu_limit`]: s.cpu === null ? '' : String(s.cpu),
    [`${TLJH}.node_selector`]: '{}',
  };
}

/**
 * One LABEL instruction for the end of a Dockerfile: a single step, so the labels appear together in
 * the final image and in no intermediate one. Values are quoted, with `$` escaped (LABEL expands variables).
 */
export function labelInstruction(labels: Record<string, string>, escapeChar = '\\'): string {
  const quote = (text: string) => `"${text.replace(/[\\"$`]/g, (c) => (c === escapeChar || c === '"' || c === '$' ? escapeChar + c : c))}"`;
  return `LABEL ${Object.entries(labels).map(([k, v]) => `${quote(k)}=${quote(v)}`).join(' ')}`;
}

function numberOrNull(text: string | undefined): number | null {
  if (!text) return null;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : null;
}

function buildArgsOf(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const value = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** tljh-repo2docker names an image `<name>:<ref>`; its environment name is the part before the tag. */
function tljhName(imageName: string): string {
  return imageName.replace(/:[^/:]*$/, '').split('/').pop()!.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '').slice(0, 63);
}

/** The environment an image's labels describe, or null when it is not an environment image. */
export function readEnvironmentLabels(labels: Record<string, string> | null | undefined): ImageFacts | null {
  if (!labels) return null;
  if (labels[LABEL.name] && labels[LABEL.image]) {
    return {
      name: labels[LABEL.name],
      displayName: labels[LABEL.displayName] || labels[LABEL.name],
      description: labels[LABEL.description] ?? '',
      image: labels[LABEL.image],
      repo: labels[LABEL.repo] ?? '',
      ref: labels[LABEL.ref] || 'HEAD',
      commit: labels[LABEL.commit] || null,
      memory: labels[LABEL.memory] || null,
      cpu: numberOrNull(labels[LABEL.cpu]),
      buildArgs: buildArgsOf(labels[LABEL.buildArgs]),
      owner: labels[LABEL.owner] || null,
      builtAt: labels[LABEL.builtAt] || null,
      source: 'plasma',
    };
  }
  const imageName = labels[`${TLJH}.image_name`];
  if (imageName && labels['repo2docker.ref'] !== undefined) {
    const date = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(labels[`${TLJH}.creation_date`] ?? '');
    return {
      name: tljhName(imageName),
      displayName: labels[`${TLJH}.display_name`] || imageName,
      description: '',
      image: imageName,
      repo: labels['repo2docker.repo'] ?? '',
      ref: labels['repo2docker.ref'] || 'HEAD',
      commit: null,
      memory: labels[`${TLJH}.mem_limit`] || null,
      cpu: numberOrNull(labels[`${TLJH}.cpu_limit`]),
      buildArgs: {},
      owner: labels[`${TLJH}.owner`] || null,
      builtAt: date ? `${date[3]}-${date[2]}-${date[1]}T00:00:00.000Z` : null,
      source: 'tljh-repo2docker',
    };
  }
  return null;
}
