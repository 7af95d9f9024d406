import { z } from 'zod';

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
  login_throttle: z.strictObject({
    max_failures: z.number().int().min(1).default(5),
    window_seconds: z.number().int().min(1).default(300),
  }).prefault({}),
});

export const authSchema = z.strictObject({
  type: z.enum(['native', 'pam', 'dummy']).default('native'),
  admin_users: z.array(z.string()).default([]),
  /** PAM: only members of these UNIX groups may log in (empty = any system user). */
  allowed_groups: z.array(z.string()).default([]),
  /** dummy auth only (development): the shared password; never use in production. */
  dummy_password: z.string().optional(),
});

export const spawnerSchema = z.strictObject({
  type: z.enum(['local', 'docker']).default('local'),
  start_timeout: z.number().positive().default(120),
  http_timeout: z.number().positive().default(30),
  poll_interval: z.number().positive().default(30),
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
  }).prefault({}),
  docker: z.strictObject({
    network: z.enum(['host', 'plasma']).default('plasma'),
    network_name: z.string().default('plasma'),
    default_image: z.string().optional(),
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

export const configSchema = z.strictObject({
  hub: hubSchema.prefault({}),
  proxy: proxySchema.prefault({}),
  auth: authSchema.prefault({}),
  spawner: spawnerSchema.prefault({}),
  culler: z.strictObject({
    enabled: z.boolean().default(true),
    timeout: z.number().int().positive().default(3600),
    every: z.number().int().positive().default(300),
  }).prefault({}),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
});

export type PlasmaConfig = z.infer<typeof configSchema>;
