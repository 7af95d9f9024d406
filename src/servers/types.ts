import type { UserRow } from '../db/index.ts';
import type { ProgressEvent, SpawnEnvironment } from '../spawner/types.ts';

/**
 * Checks and resolves what a start asks for, before anything starts: which environment (image, limits,
 * folder) and whether this user may use it. Errors carry the HTTP status to answer (400, 403).
 */
export interface EnvironmentResolver {
  resolve(user: UserRow, userOptions: Record<string, unknown>): Promise<{ userOptions: Record<string, unknown>; environment?: SpawnEnvironment }>;
}

/** What the progress stream sends: JupyterHub's event shape. */
export interface ServerEvent extends ProgressEvent {
  ready?: boolean;
  failed?: boolean;
  url?: string;
  html_message?: string;
}


export interface HubUrls {
  /** Public base URL path, '/' by default. */
  baseUrl: string;
  /** Where the proxy reaches the hub (target of the '/' route). */
  hubTarget: string;
  /** Where user servers reach the hub API. */
  apiUrl: string;
}

/** Told of every spawn's outcome and every stop (metrics). */
export interface ServerObserver {
  spawned(status: 'success' | 'failure', seconds: number): void;
  stopped(reason: string): void;
}

export class ServerError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}
