import type { Generated } from 'kysely';

/** Row types of the state database; every other module takes its types from here. */

export interface UsersTable {
  id: Generated<number>;
  name: string;
  admin: number;
  created: string;
  last_activity: string | null;
  last_login: string | null;
  /** Rotating it ends every session of the user. */
  cookie_id: string;
  /** argon2 hash (native authenticator); null for system users. */
  password_hash: string | null;
  auth_state: string | null;
}

export interface GroupsTable {
  id: Generated<number>;
  name: string;
  /** 1 when the group mirrors a UNIX group (kept in sync at PAM login); 2 when it comes from LDAP or OIDC. */
  system: number;
}

export interface UserGroupsTable {
  user_id: number;
  group_id: number;
}

export type ServerStatus = 'stopped' | 'spawning' | 'running' | 'stopping';

export interface ServersTable {
  id: Generated<number>;
  user_id: number;
  /** '' is the default server. */
  name: string;
  status: ServerStatus;
  /** Where the proxy routes to (proto://host:port). */
  target: string | null;
  /** Public prefix, e.g. /user/alice/ */
  base_url: string;
  started: string | null;
  last_activity: string | null;
  /** JSON */
  user_options: string;
  /** JSON, the spawner's opaque state */
  spawner_state: string;
  spawner_kind: string | null;
  /** Last failure shown to the user, cleared on the next start. */
  last_error: string | null;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  /** First 4 characters, indexed, so lookups hash only candidates. */
  prefix: string;
  hashed: string;
  /** 'jupyterhub' for plain API tokens, else the OAuth client id that issued it. */
  client_id: string;
  session_id: string | null;
  note: string;
  /** JSON list of raw scopes ('inherit' by default). */
  scopes: string;
  /** JSON list of role names. */
  roles: string;
  /** Set for a user server's own token: the server id it belongs to. */
  server_id: number | null;
  created: string;
  expires_at: string | null;
  last_activity: string | null;
}

export interface OAuthClientsTable {
  identifier: string;
  secret_hash: string;
  redirect_uri: string;
  /** JSON list */
  allowed_scopes: string;
  description: string;
  server_id: number | null;
  created: string;
}

export interface OAuthCodesTable {
  code_hash: string;
  client_id: string;
  user_id: number;
  /** JSON list */
  scopes: string;
  session_id: string | null;
  redirect_uri: string;
  expires_at: string;
}

export interface SessionsTable {
  /** sha256 of the cookie value */
  id_hash: string;
  /** Public, unsigned id shared with user servers as jupyterhub-session-id. */
  session_id: string;
  user_id: number;
  cookie_id: string;
  xsrf: string;
  created: string;
  expires_at: string;
  last_seen: string;
}

export type BuildStatus = 'queued' | 'building' | 'built' | 'failed';

export interface BuildsTable {
  id: Generated<number>;
  /** The environment's name (its image labels carry the same). */
  environment: string;
  status: BuildStatus;
  /** JSON: the environment's settings (repository without credentials, ref, names, limits, build args). */
  settings: string;
  /** The tag being built. */
  image: string;
  requested_by: string;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  commit_sha: string | null;
  image_id: string | null;
  /** Dockerfile step n of total_steps, while building. */
  step: number | null;
  total_steps: number | null;
  no_cache: number;
  /** The checkout waiting to be built (kept across a hub restart while queued). */
  work_dir: string | null;
  /** Head and tail of the log (capped). */
  log: string;
  log_bytes: number;
  error: string | null;
}

export interface EnvironmentGroupsTable {
  environment: string;
  /** A UNIX (or hub) group name. */
  group_name: string;
}

export interface UserDiskTable {
  user_id: number;
  /** Plasma's own limits in bytes (null: users.disk's defaults apply). */
  soft_limit: number | null;
  hard_limit: number | null;
  /** Home usage in bytes at measured_at (null: not measured yet). */
  bytes: number | null;
  measured_at: string | null;
  home: string | null;
}

export interface ManagedAccountsTable {
  kind: 'user' | 'group';
  name: string;
  created: string;
}

export interface Database {
  users: UsersTable;
  groups: GroupsTable;
  user_groups: UserGroupsTable;
  servers: ServersTable;
  api_tokens: ApiTokensTable;
  oauth_clients: OAuthClientsTable;
  oauth_codes: OAuthCodesTable;
  sessions: SessionsTable;
  builds: BuildsTable;
  environment_groups: EnvironmentGroupsTable;
  user_disk: UserDiskTable;
  managed_accounts: ManagedAccountsTable;
}
