import type { EnvironmentSettings } from '../builder/index.ts';
import type { BuildStatus } from '../db/index.ts';

/** A build as the API shows it (no log). */
export interface BuildView {
  id: number;
  status: BuildStatus;
  requestedBy: string;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  commit: string | null;
  error: string | null;
  progress: { step: number; total: number } | null;
  queuePosition: number | null;
  noCache: boolean;
}

export type EnvironmentStatus = 'built' | BuildStatus;

/** An environment: an image on this host and/or its builds, with the groups that may use it. */
export interface Environment extends EnvironmentSettings {
  /** The tag it is (or will be) built as. */
  image: string;
  /** The built image's id, null when there is none yet. */
  imageId: string | null;
  commit: string | null;
  owner: string | null;
  builtAt: string | null;
  size: number | null;
  status: EnvironmentStatus;
  source: 'plasma' | 'tljh-repo2docker';
  groups: string[];
  build: BuildView | null;
  /** Users with a server running in it (removal waits for them). */
  inUseBy: string[];
}

/** A refusal the API reports as is: status and message (and the field or users it is about). */
export class EnvironmentError extends Error {
  constructor(readonly status: number, message: string, readonly extra: { field?: string; users?: string[] } = {}) {
    super(message);
    this.name = 'EnvironmentError';
  }
}

/** Who is asking: builders may add, rebuild and remove; admins also change permissions and use every environment. */
export interface Actor {
  name: string;
  admin: boolean;
  builder: boolean;
}
