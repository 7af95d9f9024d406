import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/index.ts';
import { normalizeRoutePath, type RouteTable } from './route-table.ts';

const MAX_BODY = 1024 * 1024;
const AUTH_RE = /^token\s+(\S+)$/;

export interface RoutesApiOptions {
  table: RouteTable;
  /** No token: the API is open, as CHP does (only ever bind it to loopback then). */
  token: string | null;
  log: Logger;
  onChange(): void;
}

function send(res: ServerResponse, status: number, body = '', type = 'application/json'): void {
  res.writeHead(status, body ? { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) } : { 'Content-Length': 0 });
  res.end(body);
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest();

/** Constant-time comparison of digests, so neither the token nor its length leaks through timing. */
function tokenMatches(header: string | undefined, tokenDigest: Buffer): boolean {
  const m = header ? AUTH_RE.exec(header.trim()) : null;
  return m !== null && crypto.timingSafeEqual(sha256(m[1]), tokenDigest);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8'); // decodes across chunk boundaries
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_BODY) {
        resolve(null);
        req.destroy();
      }
    });
    req.on('end', () => resolve(text));
    req.on('error', () => resolve(null));
  });
}

/** The target as a URL if it is one the proxy can forward to. */
function parseTarget(target: string): URL | null {
  try {
    const url = new URL(target);
    return ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && url.hostname !== '' ? url : null;
  } catch {
    return null;
  }
}

/** configurable-http-proxy's REST API: GET/POST/DELETE /api/routes[/<path>]. */
export function createRoutesApiHandler(options: RoutesApiOptions) {
  const { table, token, log } = options;
  const tokenDigest = token ? sha256(token) : null;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      // Auth first: an unauthenticated caller learns nothing, not even whether its JSON parses.
      if (tokenDigest && !tokenMatches(req.headers.authorization, tokenDigest)) return send(res, 403);
      // Split by hand, as CHP does: no dot-segment resolution, and cheaper than a URL object per call.
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      const pathname = q < 0 ? raw : raw.slice(0, q);
      if (pathname !== '/api/routes' && !pathname.startsWith('/api/routes/')) return send(res, 404, JSON.stringify({ error: 'Not Found' }));
      let routePath: string;
      try {
        routePath = normalizeRoutePath(decodeURIComponent(pathname.slice('/api/routes'.length)) || '/');
      } catch {
        return send(res, 400, JSON.stringify({ error: 'malformed percent-encoding in the route path' }));
      }
      const isList = pathname === '/api/routes' || pathname === '/api/routes/';
      switch (req.method) {
        case 'GET': {
          if (isList && pathname === '/api/routes') {
            const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
            const since = query.get('inactive_since') ?? query.get('inactiveSince');
            let cutoff: number | undefined;
            if (since !== null) {
              cutoff = Date.parse(since);
              if (Number.isNaN(cutoff)) return send(res, 400, JSON.stringify({ error: `invalid inactive_since: ${since}` }));
            }
            if (cutoff === undefined) {
              const body = table.listingBody();
              res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
              return void res.end(body);
            }
            return send(res, 200, table.toJson(cutoff));
          }
          const route = table.get(routePath);
          return route ? send(res, 200, table.entryJson(route)) : send(res, 404);
        }
        case 'POST': {
          const text = await readBody(req);
          if (text === null) return send(res, 413, JSON.stringify({ error: 'body too large' }));
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            return send(res, 400, JSON.stringify({ error: 'the body must be JSON' }));
          }
          if (!body || typeof body !== 'object' || Array.isArray(body)) return send(res, 400, JSON.stringify({ error: 'the body must be a JSON object' }));
          const { target, ...data } = body as Record<string, unknown>;
          if (typeof target !== 'string') return send(res, 400, JSON.stringify({ error: 'target must be a string' }));
          const targetUrl = parseTarget(target);
          if (!targetUrl) return send(res, 400, JSON.stringify({ error: `target is not an http(s) or ws(s) URL: ${target}` }));
          table.set(routePath, target, data, Date.now(), targetUrl);
          options.onChange();
          log.debug({ route: routePath, target }, 'route added');
          return send(res, 201);
        }
        case 'DELETE': {
          if (!table.delete(routePath)) return send(res, 404);
          options.onChange();
          log.debug({ route: routePath }, 'route removed');
          return send(res, 204);
        }
        default:
          res.setHeader('Allow', 'GET, POST, DELETE');
          return send(res, 405);
      }
    } catch (err) {
      log.error({ err: (err as Error).message }, 'routes API error');
      if (!res.headersSent) send(res, 500);
    }
  };
}
