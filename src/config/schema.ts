import { z } from 'zod';
import { authClassKeys, httpsSchema, metricsSchema, usersSchema } from './schema-class.ts';

// Every key has a default so an empty (or missing) config file is a working setup.
const port = z.number().int().min(1).max(65535);
const host = z.string().min(1);

export const proxySchema = z.strictObject({
  type: z.enum(['plasma', 'chp']).default('plasma'),
  ip: host.default('127.0.0.1'),
  port: port.default(8000),
  api_ip: host.default('127.0.0.1'),
  api_port: port.default(8001),
  /** Overrides the token generated into <prefix>/state/proxy-token. */
  auth_token: z.string().min(16).optional(),
  /** Command used for `proxy.type: chp`. */
  chp_command: z.array(z.string()).default(['/usr/bin/configurable-http-proxy']),
  ssl_key: z.string().optional(),
  ssl_cert: z.string().optional(),
  /** When TLS is on, also answer plain HTTP on this port with a redirect to HTTPS. */
  http_redirect_port: port.optional(),
  timeout_ms: z.number().int().min(0).default(0),
});

export const hubSchema = z.strictObject({
  ip: host.default('127.0.0.1'),
  port: port.default(8081),
  base_url: z.string().regex(/^\/(.*\/)?$/, 'must start and end with "/"').default('/'),
  /** Where containers and processes reach the hub API; defaults to http://<ip>:<port>. */
  connect_url: z.string().url().optional(),
  cookie_max_age_days: z.number().positive().default(14),
  /** Interval of the route/servers reconciliation, seconds. */
  check_routes_interval: z.number().positive().default(300),
  /** How often the hub checks that the proxy still has every route (a restarted proxy gets them back), seconds. */
  proxy_watch_interval: z.number().positive().default(2),
  login_throttle: z.strictObject({
    max_failures: z.number().int().min(1).default(5),
    window_seconds: z.number().int().min(1).default(300),
  }).prefault({}),
});

export const authSchema = z.strictObject({
  type: z.enum(['native', 'pam', 'dummy', 'ldap', 'oidc']).default('native'),
  admin_users: z.array(z.string()).default([]),
  /** PAM: only members of these UNIX groups may log in (empty = any system user). */
  allowed_groups: z.array(z.string()).default([]),
  /** dummy auth only (development): the shared password; never use in production. */
  dummy_password: z.string().optional(),
  ...authClassKeys,
}).superRefine((value, ctx) => {
  for (const kind of ['ldap', 'oidc'] as const) {
    if (value.type === kind && !value[kind]) ctx.addIssue({ code: 'custom', path: [kind], message: `auth.type is ${kind}: set auth.${kind} (see the README)` });
  }
});

export const spawnerSchema = z.strictObject({
  type: z.enum(['local', 'docker']).default('local'),
  start_timeout: z.number().positive().default(120),
  http_timeout: z.number().positive().default(30),
  poll_interval: z.number().positive().default(30),
  /** Server starts run at once; the rest wait in line and see their place in the progress stream. 0 = no limit. */
  concurrent_spawn_limit: z.number().int().min(0).default(10),
  default_url: z.string().optional(),
  named_servers: z.strictObject({
    enabled: z.boolean().default(false),
    /** Named servers a user may have active at once; 0 = no limit. */
    limit_per_user: z.number().int().min(0).default(0),
  }).prefault({}),
  local: z.strictObject({
    cmd: z.array(z.string()).default(['/usr/bin/jupyterhub-singleuser']),
    args: z.array(z.string()).default([]),
    /** Working directory; `{home}` expands to the user's home, or the prefix's `userdata/<user>` if none. */
    notebook_dir: z.string().optional(),
    /**
     * Start jupyterhub-singleuser from a fork server that has imported it once (src/spawner/preload.ts), instead of
     * a new Python that imports it for each server (about a second of CPU each). Off: every server is exec'd.
     */
    preload: z.boolean().default(true),
  }).prefault({}),
  docker: z.strictObject({
    network: z.enum(['host', 'plasma']).default('plasma'),
    network_name: z.string().default('plasma'),
    memory_limit: z.string().regex(/^\d+(\.\d+)?[KMGT]?$/i, 'a size such as 2G or 512M').default('2G'),
    cpu_limit: z.number().positive().default(2),
    shared_data_path: z.string().default('/srv/data'),
    home_base: z.string().default(''),
    stop_timeout: z.number().int().min(0).default(10),
    /** The Docker Engine's socket. */
    socket: z.string().default('/var/run/docker.sock'),
    /** Address published container ports bind to (plasma network). */
    host_ip: z.string().default('127.0.0.1'),
    cmd: z.array(z.string()).min(1).default(['jupyterhub-singleuser']),
    args: z.array(z.string()).default([]),
  }).prefault({}),
});

const groupName = z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'a UNIX group name such as students');

export const environmentsSchema = z.strictObject({
  /** UNIX groups that environments can be granted to (tljh-plasma's plasma.groups); empty = every hub group. */
  groups: z.array(groupName).default([]),
  /** Members of these groups may add, rebuild and remove environments (not change permissions). */
  builder_groups: z.array(groupName).default([]),
  /** Local folders whose git repositories may be built from a path or file:// URL; nothing else on disk is. */
  local_roots: z.array(z.string().startsWith('/', 'an absolute path')).default([]),
  /** Environment a server gets when the start names none (else: the user's only allowed one). */
  default: z.string().optional(),
  /** Image every environment without a Dockerfile is built on (made by `plasma image bootstrap`). */
  base_image: z.string().default('plasma/base:latest'),
  /** Environment images are named <image_prefix><name>:<ref>; the catalogue lists Plasma's images under it. */
  image_prefix: z.string().regex(/^([a-z0-9][a-z0-9._-]*\/)*([a-z0-9][a-z0-9._-]*)?$/, 'a lower-case image path such as plasma-env/ (or plasma-env/course-)').default('plasma-env/'),
  /** Docker network of builds: Docker's default (bridge), or host. */
  build_network: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a Docker network name such as default or host').default('default'),
  /** Builds that run at once; the rest wait in the queue. */
  concurrency: z.number().int().min(1).max(8).default(1),
  /** Package index for requirements.txt and Pipfile (passed to the build as PIP_INDEX_URL). */
  pip_index_url: z.url({ protocol: /^https?$/ }).optional(),
  /** Debian mirror for apt.txt and the R packages, replacing the base image's. */
  apt_mirror: z.url({ protocol: /^https?$/ }).optional(),
  /** environment.yml needs conda, which Debian does not ship: an image with conda or mamba to build those on. */
  conda: z.strictObject({
    base_image: z.string().min(1),
    /** The conda (or mamba) executable inside that image. */
    executable: z.string().startsWith('/', 'an absolute path').default('/srv/conda/bin/mamba'),
  }).optional(),
  /** Project.toml needs Julia, which Debian 12 does not ship: a Debian package that provides it (e.g. from a backports mirror). */
  julia_apt_package: z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'a Debian package name').optional(),
  /** Seconds a git fetch may take. */
  fetch_timeout: z.number().int().positive().default(300),
  /** Seconds a Docker build may take before it is stopped and marked failed. */
  build_timeout: z.number().int().positive().default(3600),
  /** Largest repository Plasma fetches and sends to Docker, in MiB. */
  max_repo_mb: z.number().int().positive().default(2048),
  /** What a build keeps of its log: the first and the last this many KiB. */
  log_head_kb: z.number().int().positive().default(64),
  log_tail_kb: z.number().int().positive().default(256),
}).superRefine((value, ctx) => {
  const dup = value.builder_groups.filter((g, i, all) => all.indexOf(g) !== i);
  if (dup.length) ctx.addIssue({ code: 'custom', path: ['builder_groups'], message: `${dup[0]} is listed twice` });
});

const absolutePath = z.string().startsWith('/', 'an absolute path');

export const backupSchema = z.strictObject({
  /** Where `plasma backup` writes its archives; <prefix>/backups by default. */
  dir: absolutePath.optional(),
  /** Archives kept by `plasma backup --prune` (and the daily timer). */
  keep: z.number().int().min(1).default(14),
  user_data: z.strictObject({
    /** A restic repository for incremental snapshots of the homes (a path, or rest:/sftp:/s3: as restic takes them). */
    repo: z.string().regex(/^[^-\s][^\s]*$/, 'a restic repository such as /srv/backups/plasma-homes').optional(),
    paths: z.array(absolutePath).min(1).default(['/home']),
    keep_daily: z.number().int().min(1).default(7),
    keep_weekly: z.number().int().min(0).default(4),
  }).prefault({}),
});

export const uiSchema = z.strictObject({
  /** A notice shown on the login and home pages (plain text). */
  announcement: z.string().max(2000).default(''),
  /** An image (SVG, PNG or JPEG) served at /hub/logo instead of Plasma's own. */
  logo_file: absolutePath.optional(),
});

export const monitoringSchema = z.strictObject({
  /** The hub samples each running server's CPU and memory this often (seconds) and keeps the last hour. */
  enabled: z.boolean().default(true),
  interval: z.number().min(0.5).max(300).default(10),
  history_minutes: z.number().int().min(1).max(1440).default(60),
});

export const configSchema = z.strictObject({
  hub: hubSchema.prefault({}),
  proxy: proxySchema.prefault({}),
  auth: authSchema.prefault({}),
  spawner: spawnerSchema.prefault({}),
  environments: environmentsSchema.prefault({}),
  backup: backupSchema.prefault({}),
  culler: z.strictObject({
    enabled: z.boolean().default(true),
    timeout: z.number().int().positive().default(3600),
    every: z.number().int().positive().default(300),
    /** Stop servers this many seconds after they started, active or not (0 = never). */
    max_age: z.number().int().min(0).default(0),
    /** Culled named servers are removed too, not only stopped (jupyterhub-idle-culler's --remove-named-servers). */
    remove_named_servers: z.boolean().default(false),
    /** Users are warned this many seconds before an idle stop (0 = no warning). */
    warning_seconds: z.number().int().min(0).default(300),
  }).prefault({}),
  ui: uiSchema.prefault({}),
  monitoring: monitoringSchema.prefault({}),
  users: usersSchema.prefault({}),
  metrics: metricsSchema.prefault({}),
  https: httpsSchema.prefault({}),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
});

export type PlasmaConfig = z.infer<typeof configSchema>;
