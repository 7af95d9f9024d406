import { z } from 'zod';

/** Config sections for running a class: university logins, users and their disks, metrics, HTTPS. */

const absPath = z.string().startsWith('/', 'an absolute path');
const groupName = z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'a UNIX group name such as students');
const userName = z.string().regex(/^[a-z0-9][a-z0-9._@-]{0,63}$/, 'a user name such as alice');
/** A size such as 500M or 2G (bytes with K, M, G, T suffixes, powers of 1024). */
export const sizeSchema = z.string().regex(/^\d+(\.\d+)?[KMGT]?$/i, 'a size such as 500M or 2G');

export const ldapSchema = z.strictObject({
  /** ldaps://host[:port] (TLS from the start) or ldap://host[:port] (with start_tls: true for TLS). */
  url: z.string().regex(/^ldaps?:\/\/[A-Za-z0-9.[\]:-]+(:\d+)?\/?$/, 'an ldap:// or ldaps:// URL such as ldaps://ldap.example.edu'),
  start_tls: z.boolean().default(false),
  /** PEM file of the CA that signed the LDAP server's certificate (else the system's CAs). */
  ca_file: absPath.optional(),
  /** The service account that searches for users and groups (anonymous search when unset). */
  bind_dn: z.string().min(1).optional(),
  bind_password: z.string().min(1).optional(),
  /** Read the bind password from this file instead (keeps it out of config.yaml). */
  bind_password_file: absPath.optional(),
  user_search_base: z.string().min(1),
  /** `{username}` is replaced by the escaped login name. */
  user_filter: z.string().includes('{username}', { message: 'must contain {username}' }).default('(uid={username})'),
  /** The attribute whose value is the Plasma user name. */
  username_attribute: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'an attribute name such as uid').default('uid'),
  /** Groups are searched here; unset = no groups from LDAP. */
  group_search_base: z.string().min(1).optional(),
  /** `{dn}` is the user's DN, `{username}` their name (both escaped). */
  group_filter: z.string().default('(|(member={dn})(uniqueMember={dn})(memberUid={username}))'),
  group_name_attribute: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'an attribute name such as cn').default('cn'),
  timeout_seconds: z.number().positive().max(120).default(10),
}).refine((v) => !(v.bind_password && v.bind_password_file), { message: 'set bind_password or bind_password_file, not both', path: ['bind_password_file'] })
  .refine((v) => !(v.url.startsWith('ldaps:') && v.start_tls), { message: 'start_tls is for ldap:// URLs; ldaps:// is TLS already', path: ['start_tls'] });

export const oidcSchema = z.strictObject({
  /** The provider's issuer URL; its /.well-known/openid-configuration is read at start. */
  issuer: z.url({ protocol: /^https?$/ }),
  client_id: z.string().min(1),
  client_secret: z.string().min(1).optional(),
  client_secret_file: absPath.optional(),
  scopes: z.array(z.string().regex(/^[\x21-\x7e]+$/, 'a scope name')).default(['openid', 'profile', 'email']),
  username_claim: z.string().min(1).default('preferred_username'),
  groups_claim: z.string().min(1).default('groups'),
  /** PEM file of the CA that signed the provider's certificate (else the system's CAs). */
  ca_file: absPath.optional(),
  /** The callback URL registered at the provider; default <this site>/hub/oauth_callback from the request. */
  redirect_url: z.url({ protocol: /^https?$/ }).optional(),
  login_button: z.string().min(1).max(200).default('Sign in with your university account'),
}).refine((v) => !(v.client_secret && v.client_secret_file), { message: 'set client_secret or client_secret_file, not both', path: ['client_secret_file'] });

/** Keys of `auth` added for university logins and access control. */
export const authClassKeys = {
  ldap: ldapSchema.optional(),
  oidc: oidcSchema.optional(),
  /** Identity-provider group → Plasma group; when set, only mapped groups count. */
  group_map: z.record(z.string().min(1), groupName).default({}),
  /** LDAP/OIDC users without a system account get one (useradd), and their groups become UNIX groups. */
  create_system_users: z.boolean().default(false),
  /** When not empty, only these users may log in (tljh-config's users.allowed). */
  allowed_users: z.array(userName).default([]),
  /** These users may not log in; their sessions and tokens end at once (tljh-config's users.banned). */
  banned_users: z.array(userName).default([]),
};

export const usersSchema = z.strictObject({
  /** Homes of users Plasma creates: <home_base>/<name>. */
  home_base: absPath.default('/home'),
  disk: z.strictObject({
    /** Seconds between background measurements of every home (0 = never). */
    usage_interval: z.number().min(0).default(3600),
    /** Plasma's own limits for users with none of their own: a warning over soft, no new server over hard. */
    soft_limit: sizeSchema.optional(),
    hard_limit: sizeSchema.optional(),
    /** Also set kernel quotas with setquota where the filesystem supports them. */
    setquota: z.boolean().default(false),
  }).prefault({}),
});

export const metricsSchema = z.strictObject({
  /** /hub/metrics needs a token with read:metrics (JupyterHub's authenticate_prometheus). */
  authenticate: z.boolean().default(true),
});

export const httpsSchema = z.strictObject({
  /** Certificates from an ACME CA (Let's Encrypt) for letsencrypt.domains. */
  enabled: z.boolean().default(false),
  letsencrypt: z.strictObject({
    email: z.email().optional(),
    domains: z.array(z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a domain name such as hub.example.edu')).default([]),
    directory_url: z.url({ protocol: /^https$/ }).default('https://acme-v02.api.letsencrypt.org/directory'),
    /** PEM file of the CA the ACME server's own certificate is signed by (a test CA such as pebble's). */
    ca_file: absPath.optional(),
    /** Renew this many days before the certificate expires. */
    renew_days: z.number().int().min(1).max(89).default(30),
  }).prefault({}),
}).refine((v) => !v.enabled || v.letsencrypt.domains.length > 0, { message: 'https.enabled needs the domains to get a certificate for', path: ['letsencrypt', 'domains'] });
