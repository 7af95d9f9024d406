import type { SpawnerState } from '../spawner/types.ts';

/** Python's urllib quote with safe='': what JupyterHub uses in OAuth client ids. */
function quoteAll(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The OAuth client id of a user's server, as JupyterHub names it. */
export function clientIdFor(userName: string, serverName: string): string {
  return `jupyterhub-user-${quoteAll(userName)}${serverName ? `-${quoteAll(serverName)}` : ''}`;
}

/** A spawner state saved as JSON, or null when there is none (or it is not an object). */
export function parseState(text: string | null | undefined): SpawnerState | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}
