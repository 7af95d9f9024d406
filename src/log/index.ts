import pino, { type Logger } from 'pino';

export type { Logger };

// Credentials must never reach logs: redact them wherever they sit in a logged object.
const REDACT = [
  'password', '*.password', 'token', '*.token', 'secret', '*.secret', 'client_secret', '*.client_secret',
  'auth_token', '*.auth_token', 'authorization', '*.authorization', 'headers.authorization', 'headers.cookie',
  'req.headers.authorization', 'req.headers.cookie', 'env.JUPYTERHUB_API_TOKEN', 'env.JPY_API_TOKEN',
  '*.env.JUPYTERHUB_API_TOKEN', '*.env.JPY_API_TOKEN', 'env.CONFIGPROXY_AUTH_TOKEN',
];

export function createLogger(name: string, level = process.env.PLASMA_LOG_LEVEL || 'info'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } });
}

/** Removes token-like query values from a URL before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|code|client_secret|password|_xsrf)=)[^&#]*/gi, '$1[redacted]');
}
