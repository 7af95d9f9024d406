import type { ShellConfig } from './api/types.ts';

function read(): ShellConfig {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="plasma-config"]');
  if (!meta) throw new Error('plasma-config is missing: this page must be served by the hub');
  return JSON.parse(meta.content) as ShellConfig;
}

/** The hub puts this in the page: base URL, who is signed in, what they may open, the session's XSRF token. */
export const config: ShellConfig = read();

/** Paths under the hub, e.g. hubPath('admin/users') → '/base/hub/admin/users'. */
export const hubPath = (rest = '') => `${config.hub_prefix}${rest}`;

/** react-router's basename: the hub prefix without its trailing slash. */
export const basename = config.hub_prefix.replace(/\/$/, '');
