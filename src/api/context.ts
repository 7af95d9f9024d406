import type { Authenticator } from '../auth/index.ts';
import type { LoginThrottle, SessionStore } from '../auth/sessions.ts';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import type { Repo } from '../db/index.ts';
import type { EnvironmentService } from '../environments/index.ts';
import type { ServerManager, HubUrls } from '../servers/index.ts';
import type { HubUsers } from '../users/index.ts';
import type { Logger } from '../log/index.ts';
import type { HostSampler, ServerSampler } from '../monitoring/index.ts';
import type { Spawner } from '../spawner/index.ts';
import type { HubMetrics } from '../metrics/index.ts';
import type { DiskUsage } from '../ops/disk-usage.ts';
import type { IdleCuller } from '../culler/index.ts';
import type { AnswerCache } from './answer-cache.ts';
import type { IdentityCache } from './identity-cache.ts';

/** Everything request handlers need, wired once by the hub. */
export interface HubContext {
  repo: Repo;
  config: PlasmaConfig;
  paths: PlasmaPaths;
  servers: ServerManager;
  hubUsers: HubUsers;
  environments: EnvironmentService;
  authenticator: Authenticator;
  sessions: SessionStore;
  throttle: LoginThrottle;
  urls: HubUrls;
  log: Logger;
  /** Monitoring: the host's figures and each running server's recent CPU and memory. */
  monitor: { host: HostSampler; servers: ServerSampler };
  /** The spawner in use (monitoring and plasma logs read a server's output through it). */
  spawner: Spawner;
  /** Prometheus metrics (absent in tests that build a bare context). */
  metrics?: HubMetrics;
  /** The proxy's own counters (Prometheus text), when the proxy is Plasma's. */
  proxyMetrics?(): Promise<string>;
  /** When servers will be culled (set once the culler runs). */
  culler?: IdleCuller;
  /** Re-reads config.yaml and applies the live keys (plasma config reload). */
  reloadConfig?(): Promise<{ applied: string[]; restart_hub: string[]; restart_proxy: string[]; banned_now: string[] }>;
  /** Home usage and Plasma's own disk limits. */
  disk: DiskUsage;
  /** Serialized answers of read routes, reused until something they depend on changes. */
  answers: AnswerCache;
  /** Token → identity, reused while the database is unchanged. */
  identities: IdentityCache;
  /** Asks the hub to shut down (POST /hub/api/shutdown). */
  shutdown(): void;
}
