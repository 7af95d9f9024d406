/**
 * The Spawner contract. It must not assume a server runs on this host (Swarm and Kubernetes come later):
 * start() returns the URL to route to and an opaque state; the hub persists that state and polls with it.
 */

/** Opaque, JSON-serialisable state a spawner needs to find its server again after a hub restart. */
export type SpawnerState = Record<string, unknown>;

export interface ProgressEvent {
  progress?: number;
  message: string;
}

export interface SpawnUser {
  name: string;
  admin: boolean;
  groups: string[];
}

/** The environment a server runs in, resolved and permission-checked by the hub before the spawner sees it. */
export interface SpawnEnvironment {
  name: string;
  displayName: string;
  /** The image to run (a tag or an id). */
  image: string;
  /** The folder in the user's home the server works in (validated: one path segment). */
  folder: string;
  /** Limits from the environment; the spawner's defaults apply where unset. */
  memory?: string;
  cpu?: number;
}

export interface SpawnContext {
  user: SpawnUser;
  /** '' for the default server. */
  serverName: string;
  /** Public URL prefix of the server, e.g. '/user/alice/' (ends with '/'). */
  prefix: string;
  /**
   * JUPYTERHUB_* environment computed by the hub. The spawner adds JUPYTERHUB_SERVICE_URL
   * (http://<ip>:<port><prefix>) once it knows where the server listens, and may rewrite the hub's
   * address in JUPYTERHUB_API_URL / JUPYTERHUB_ACTIVITY_URL when its servers reach the hub differently.
   */
  env: Record<string, string>;
  /** Options the user chose (e.g. { environment: 'intro' }), already validated by the hub. */
  userOptions: Record<string, unknown>;
  /** Set when the hub resolved an environment for this start (container spawners need one). */
  environment?: SpawnEnvironment;
  /** State saved by an earlier start of the same server, if any. */
  previousState: SpawnerState | null;
  /** Persist state as soon as something exists (container created, process forked) so a crash leaves no orphan. */
  recordState(state: SpawnerState): void;
  progress(event: ProgressEvent): void;
  /** Aborted when the start times out or the user cancels; the spawner should give up promptly. */
  signal: AbortSignal;
}

export interface StartedServer {
  /** Where the proxy sends traffic: proto://host:port, no path. */
  url: string;
  state: SpawnerState;
}

export type PollResult = { running: true } | { running: false; reason: string };

/** What a running server uses now: cumulative CPU time, so the caller computes rates between samples. */
export interface ServerUsage {
  /** CPU seconds used since the server started (all its processes). */
  cpuSeconds: number;
  memoryBytes: number;
  /** The memory limit it runs under, when there is one. */
  memoryLimitBytes?: number;
}

/** A server this spawner manages, found without the hub's database (for orphan clean-up after a crash). */
export interface ManagedServer {
  user: string;
  serverName: string;
  /** What the spawner knows the server by; the hub matches it against the state it saved. */
  state: SpawnerState;
  /** False for a server that exists but has stopped (an exited container not yet removed). */
  running?: boolean;
}

export interface Spawner {
  readonly kind: string;
  start(ctx: SpawnContext): Promise<StartedServer>;
  /** Cheap liveness check from saved state; never throws for "gone", returns running:false. */
  poll(state: SpawnerState): Promise<PollResult>;
  /**
   * poll() for many servers with one look at the backend (one container list, not one inspect each), answers in the
   * order asked. Throws when the backend cannot be reached: unknown is not dead.
   */
  pollMany?(states: SpawnerState[]): Promise<PollResult[]>;
  /**
   * Calls `changed` whenever a managed server may have changed state behind the hub's back (a container died, or the
   * backend answers again after an outage), until `signal` aborts. The hub then polls everything once.
   */
  watch?(changed: (why: string) => void, signal: AbortSignal): void;
  /** Stops and removes the server; succeeds if it is already gone. */
  stop(state: SpawnerState, options?: { timeoutSeconds?: number }): Promise<void>;
  /** Lists every server this spawner manages on its backend (containers by label, processes by pid file). */
  listManaged(): Promise<ManagedServer[]>;
  /** Current use of a running server (monitoring), or null when it cannot be read. */
  usage?(state: SpawnerState): Promise<ServerUsage | null>;
  /** usage() of many servers with one look (answers in the order asked). */
  usageMany?(states: SpawnerState[]): Promise<Array<ServerUsage | null>>;
  /** The server's output: its last `lines` lines, then (with `follow`) what it writes next, until `signal` aborts. */
  streamLogs?(state: SpawnerState, options: LogOptions): AsyncIterable<string>;
}

export interface LogOptions {
  lines: number;
  follow: boolean;
  signal?: AbortSignal;
}

/**
 * An error whose message is meant for the user (shown in the progress stream and the API),
 * with the HTTP status the API answers.
 */
export class SpawnError extends Error {
  constructor(message: string, readonly status = 500) {
    super(message);
    this.name = 'SpawnError';
  }
}
