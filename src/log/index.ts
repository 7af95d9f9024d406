import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger };

// Credentials must never reach logs: redact them wherever they sit in a logged object.
const REDACT = [
  'password', '*.password', 'token', '*.token', 'secret', '*.secret', 'client_secret', '*.client_secret',
  'auth_token', '*.auth_token', 'authorization', '*.authorization', 'headers.authorization', 'headers.cookie',
  'req.headers.authorization', 'req.headers.cookie', 'env.JUPYTERHUB_API_TOKEN', 'env.JPY_API_TOKEN',
  '*.env.JUPYTERHUB_API_TOKEN', '*.env.JPY_API_TOKEN', 'env.CONFIGPROXY_AUTH_TOKEN',
  'bind_password', '*.bind_password', 'accountKey', '*.accountKey', 'privateKey', '*.privateKey',
];

/** A log file is started afresh (the old one kept as .1) once it passes this size, at the next start. */
const ROTATE_BYTES = 64 * 1024 * 1024;

/** Whether stdout already goes to this file (a service started with its output there): then one stream is enough. */
function stdoutIs(file: string): boolean {
  try {
    const out = fs.fstatSync(1);
    const target = fs.statSync(file);
    return out.ino === target.ino && out.dev === target.dev;
  } catch {
    return false;
  }
}

/**
 * JSON lines on stdout (for journald), and also into `file` when given (what `plasma logs hub|proxy` reads where
 * there is no journal). A file that cannot be opened leaves stdout only.
 */
export function createLogger(name: string, level = process.env.PLASMA_LOG_LEVEL || 'info', file?: string): Logger {
  const options = { name, level, redact: { paths: REDACT, censor: '[redacted]' } };
  if (!file || stdoutIs(file)) return pino(options);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if ((fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) > ROTATE_BYTES) fs.renameSync(file, `${file}.1`);
    const fd = fs.openSync(file, 'a', 0o600);
    return pino(options, pino.multistream([{ stream: process.stdout, level: 'trace' }, { stream: pino.destination({ fd, sync: false }), level: 'trace' }]));
  } catch (err) {
    const log = pino(options);
    log.warn({ file, err: (err as Error).message }, 'cannot write the log file; logging to stdout only');
    return log;
  }
}

/** Removes token-like query values from a URL before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|code|client_secret|password|_xsrf)=)[^&#]*/gi, '$1[redacted]');
}
