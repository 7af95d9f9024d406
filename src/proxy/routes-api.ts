import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/index.ts';
import { normalizeRoutePath, type RouteTable } from './route-table.ts';

const MAX_BODY = 1024 * 1024;
const AUTH_RE = /^token\s+(\S+)$/;
const ALLOWED = 'GET, POST, DELETE';

export interface RoutesApiOptions {
  table: RouteTable;
  /** No token: the API is open, as CHP does (only ever bind it to loopback then). */
  token: string | null;
  log: Logger;
  onChange(): void;
}

/** An answer of the API, independent of the HTTP server that carries it. */
export interface ApiReply {
  status: number;
  /** JSON text or bytes; none for an empty body. */
  body?: string | Buffer;
}

const reply = (status: number, error?: string): ApiReply => (error === undefined ? { status } : { status, body: JSON.stringify({ error }) });
// The frequent answers are made once.
const CREATED = reply(201);
const NO_CONTENT = reply(204);
const FORBIDDEN = reply(403);
const NOT_FOUND = reply(404);
const NOT_FOUND_PATH = reply(404, 'Not Found');
const NOT_ALLOWED = reply(405);
const TOO_LARGE = reply(413, 'body too large');

// One-shot hash: half the cost of createHash().update().digest() on every request.
const sha256 = (text: string): Buffer => crypto.hash('sha256', text, 'buffer');

/** The target as a URL if it is one the proxy can forward to. */
function parseTarget(target: string): URL | null {
  try {
    const url = new URL(target);
    return (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname !== '' ? url : null;
  } catch {
    return null;
  }
}

/**
 * configurable-http-proxy's REST API (GET/POST/DELETE /api/routes[/<path>]) as plain calls: the HTTP server that
 * carries it only reads the request and writes the reply.
 */
export class RoutesApi {
  private readonly tokenDigest: Buffer | null;

  constructor(private readonly options: RoutesApiOptions) {
    this.tokenDigest = options.token ? sha256(options.token) : null;
  }

  /** Constant-time comparison of digests, so neither the token nor its length leaks through timing. */
  authorized(header: string | undefined): boolean {
    if (!this.tokenDigest) return true;
    const m = header ? AUTH_RE.exec(header.trim()) : null;
    return m !== null && crypto.timingSafeEqual(sha256(m[1]), this.tokenDigest);
  }

  /** Answers an authorized request; `body` is the request body as text (only POST reads it). */
  handle(method: string, url: string, body: string): ApiReply {
    const { table, log } = this.options;
    try {
      // Split by hand, as CHP does: no dot-segment resolution, and cheaper than a URL object per call.
      const q = url.indexOf('?');
      const pathname = q < 0 ? url : url.slice(0, q);
      if (pathname !== '/api/routes' && !pathname.startsWith('/api/routes/')) return NOT_FOUND_PATH;
      let routePath: string;
      try {
        routePath = normalizeRoutePath(decodeURIComponent(pathname.slice('/api/routes'.length)) || '/');
      } catch {
        return reply(400, 'malformed percent-encoding in the route path');
      }
      switch (method) {
        case 'GET': {
          if (pathname === '/api/routes') {
            const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
            const since = query.get('inactive_since') ?? query.get('inactiveSince');
            if (since === null) return { status: 200, body: table.listingBody() };
            const cutoff = Date.parse(since);
            if (Number.isNaN(cutoff)) return reply(400, `invalid inactive_since: ${since}`);
            return { status: 200, body: table.toJson(cutoff) };
          }
          const route = table.get(routePath);
          return route ? { status: 200, body: table.entryJson(route) } : NOT_FOUND;
        }
        case 'POST':
          return this.add(routePath, body);
        case 'DELETE': {
          if (!table.delete(routePath)) return NOT_FOUND;
          this.options.onChange();
          log.debug({ route: routePath }, 'route removed');
          return NO_CONTENT;
        }
        default:
          return NOT_ALLOWED;
      }
    } catch (err) {
      log.error({ err: (err as Error).message }, 'routes API error');
      return reply(500);
    }
  }

  private add(routePath: string, text: string): ApiReply {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return reply(400, 'the body must be JSON');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return reply(400, 'the body must be a JSON object');
    const { target, ...data } = body as Record<string, unknown>;
    if (typeof target !== 'string') return reply(400, 'target must be a string');
    const targetUrl = parseTarget(target);
    if (!targetUrl) return reply(400, `target is not an http(s) or ws(s) URL: ${target}`);
    this.options.table.set(routePath, target, data, Date.now(), targetUrl);
    this.options.onChange();
    this.options.log.debug({ route: routePath, target }, 'route added');
    return CREATED;
  }
}

/** Writes a reply through node:http. */
function send(res: ServerResponse, r: ApiReply): void {
  if (r.status === 405) res.setHeader('Allow', ALLOWED);
  if (r.body === undefined) {
    res.writeHead(r.status, { 'Content-Length': 0 });
    return void res.end();
  }
  const length = typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.length;
  res.writeHead(r.status, { 'Content-Type': 'application/json', 'Content-Length': length });
  res.end(r.body);
}

/** 413, and the connection is closed rather than drained. */
function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  res.once('finish', () => req.socket?.destroy());
  send(res, TOO_LARGE);
}

/**
 * Reads a request body of at most MAX_BODY bytes as raw chunks: no stream decoder, the text is decoded once at the
 * end (which also keeps multi-byte characters split across chunks intact). The listeners are anonymous on purpose:
 * tsx's keep-names wrapper costs a defineProperty for every named closure made per request.
 */
function readBody(req: IncomingMessage, res: ServerResponse, done: (text: string) => void): void {
  if (Number(req.headers['content-length']) > MAX_BODY) return tooLarge(req, res);
  let first: Buffer | null = null;
  let chunks: Buffer[] | null = null;
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    if (size > MAX_BODY) return; // answered already
    size += chunk.length;
    if (size > MAX_BODY) return tooLarge(req, res);
    if (first === null) first = chunk;
    else (chunks ??= [first]).push(chunk);
  });
  req.on('end', () => {
    if (size <= MAX_BODY) done(chunks ? Buffer.concat(chunks).toString('utf8') : first ? first.toString('utf8') : '');
  });
}

/** The API as a node:http request listener. */
export function createRoutesApiHandler(options: RoutesApiOptions) {
  const api = new RoutesApi(options);
  return (req: IncomingMessage, res: ServerResponse): void => {
    // Auth first: an unauthenticated caller learns nothing, not even whether its JSON parses.
    if (!api.authorized(req.headers.authorization)) return send(res, FORBIDDEN);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (method !== 'POST') return send(res, api.handle(method, url, ''));
    readBody(req, res, (text) => send(res, api.handle(method, url, text)));
  };
}
