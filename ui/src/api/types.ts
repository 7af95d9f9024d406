/** Shapes of the hub's answers (JupyterHub 3's REST API and Plasma's /hub/api/plasma). */

export type { ShellConfig } from '../../../src/pages/shell-config.ts';
export type { HostStats } from '../../../src/monitoring/types.ts';
export type { CullStatus } from '../../../src/culler/types.ts';

export interface ServerModel {
  name: string;
  ready: boolean;
  pending: 'spawn' | 'stop' | null;
  stopped: boolean;
  url: string;
  started: string | null;
  last_activity: string | null;
  progress_url: string;
  user_options: Record<string, unknown>;
}

export interface UserModel {
  kind: 'user';
  name: string;
  admin: boolean;
  groups: string[];
  server: string | null;
  pending: string | null;
  created: string;
  last_activity: string | null;
  servers?: Record<string, ServerModel>;
}

export interface Me extends UserModel {
  scopes: string[];
}

export interface Page<T> {
  items: T[];
  _pagination: { offset: number; limit: number; total: number; next: unknown };
}

export interface GroupModel {
  kind: 'group';
  name: string;
  users: string[];
}

export interface TokenModel {
  id: string;
  user: string;
  note: string;
  scopes: string[];
  roles: string[];
  created: string;
  last_activity: string | null;
  expires_at: string | null;
  oauth_client: string;
  session_id: string | null;
}

export interface NewToken extends TokenModel {
  token: string;
}

export type BuildStatus = 'queued' | 'building' | 'built' | 'failed';

export interface BuildModel {
  id: number;
  status: BuildStatus;
  requested_by: string | null;
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  progress: { step: number; total: number } | null;
  queue_position: number | null;
}

export interface Environment {
  name: string;
  display_name: string;
  description: string;
  image: string;
  repo: string;
  ref: string;
  commit?: string;
  memory: string | null;
  cpu: number | null;
  build_args?: Record<string, string>;
  owner?: string | null;
  built_at: string | null;
  size?: number | null;
  status: BuildStatus;
  groups?: string[];
  source?: string;
  build?: BuildModel | null;
  in_use_by?: string[];
}

export interface NewEnvironment {
  repo: string;
  ref?: string;
  name?: string;
  display_name?: string;
  description?: string;
  memory?: string;
  cpu?: number;
  buildargs?: string;
  username?: string;
  password?: string;
}

export interface Permissions {
  groups: string[];
  environments: string[];
  permissions: Record<string, string[]>;
}

/** A build log event (GET environments/{name}/logs as a stream). */
export type BuildEvent =
  | { phase: 'log'; message: string }
  | { phase: 'progress'; step: number; total: number; message: string }
  | { phase: 'status'; status: BuildStatus; queue_position?: number | null }
  | { phase: 'built'; message: string }
  | { phase: 'error'; message: string };

/** A server's progress event (JupyterHub's spawn progress stream). */
export interface ProgressEvent {
  progress?: number;
  message: string;
  ready?: boolean;
  failed?: boolean;
  url?: string;
}

export interface ServerSample {
  t: string;
  cpu: number;
  memory: number;
}

export interface ServerSeries {
  user: string;
  server: string;
  environment: string | null;
  memory_limit: number | null;
  samples: ServerSample[];
}

export interface MonitoringServers {
  enabled: boolean;
  interval: number;
  history_minutes: number;
  servers: ServerSeries[];
}

export type UserSort = 'id' | 'name' | 'last_activity' | '-id' | '-name' | '-last_activity';


/** A user's home usage and Plasma's disk limits (GET /hub/api/plasma/users/{name}). */
export interface DiskView {
  bytes: number | null;
  soft_limit: number | null;
  hard_limit: number | null;
  over_soft: boolean;
  over_hard: boolean;
}
