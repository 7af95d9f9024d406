import type { PlasmaConfig } from '../config/index.ts';
import type { UserRow } from '../db/index.ts';
import type { HubUrls } from './types.ts';

/** The JUPYTERHUB_* environment a user server gets, as JupyterHub 3 sets it for jupyterhub-singleuser. */
export function serverEnvironment(urls: HubUrls, spawner: PlasmaConfig['spawner'], s: {
  user: UserRow; serverName: string; prefix: string; token: string; clientId: string; accessScopes: string[];
}): Record<string, string> {
  const env: Record<string, string> = {
    JUPYTERHUB_API_TOKEN: s.token,
    JPY_API_TOKEN: s.token,
    JUPYTERHUB_CLIENT_ID: s.clientId,
    JUPYTERHUB_API_URL: urls.apiUrl,
    JUPYTERHUB_ACTIVITY_URL: `${urls.apiUrl}/users/${s.user.name}/activity`,
    JUPYTERHUB_BASE_URL: urls.baseUrl,
    JUPYTERHUB_HOST: '',
    JUPYTERHUB_USER: s.user.name,
    JUPYTERHUB_SERVER_NAME: s.serverName,
    JUPYTERHUB_SERVICE_PREFIX: s.prefix,
    JUPYTERHUB_OAUTH_CALLBACK_URL: `${s.prefix}oauth_callback`,
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: JSON.stringify(s.accessScopes),
    JUPYTERHUB_OAUTH_SCOPES: JSON.stringify(s.accessScopes),
    JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: '[]',
  };
  if (spawner.default_url) env.JUPYTERHUB_DEFAULT_URL = spawner.default_url;
  if (s.user.admin) env.JUPYTERHUB_ADMIN_ACCESS = '1';
  return env;
}
