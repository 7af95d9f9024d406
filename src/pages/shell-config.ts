// Types only (no imports): the web UI reads this file too.

/** What the app needs before its first request, put in the page so it starts without a round trip. */
export interface ShellConfig {
  base_url: string;
  hub_prefix: string;
  version: string;
  user: { name: string; admin: boolean };
  can: { admin: boolean; environments: boolean; permissions: boolean; monitoring: boolean };
  xsrf: string;
  named_servers: { enabled: boolean; limit: number };
  /** Container spawners cannot start a server without an environment; the local one can. */
  needs_environment: boolean;
  announcement: string;
  scopes: string[];
}
