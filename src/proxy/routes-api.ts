import crypto from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import net from 'node:net';
import type { Logger } from '../log/index.ts';
import { closingAnswer, ConnectionSweep, malformedRequestStatus } from './connections.ts';
import { Http1Parser, type MessageHead } from './http1.ts';
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
  /** Called on every authorized request (the idle collector counts it as traffic). */
  onRequest?(): void;
  /** GET /metrics: the proxy's counters in Prometheus' text format. */
  metrics?(): string;
}

/** An answer of the API, independent of the HTTP server that carries it. */
export interface ApiReply {
  status: number;
  /** JSON text or bytes; none for an empty body. */
  body?: string | Buffer;
  /** Default application/json. */
  contentType?: string;
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
    this.options.onRequest?.();
    try {
      // Split by hand, as CHP does: no dot-segment resolution, and cheaper than a URL object per call.
      const q = url.indexOf('?');
      const pathname = q < 0 ? url : url.slice(0, q);
      if (pathname === '/metrics' && method === 'GET' && this.options.metrics) {
        return { status: 200, body: this.options.metrics(), contentType: 'text/plain; version=0.0.4; charset=utf-8' };
      }
      if (pathname !== '/api/routes' && !pathname.startsWith('/api/routes/')) return NOT_FOUND_PATH;
      let routePath = pathname.slice('/api/routes'.length);
      try {
        if (routePath.includes('%')) routePath = decodeURIComponent(routePath); // (most paths have nothing to decode)
      } catch {
        return reply(400, 'malformed percent-encoding in the route path');
      }
      routePath = normalizeRoutePath(routePath || '/');
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

// ---------------------------------------------------------------------------------------------------------------------
// A lean HTTP/1.1 server for the API. node:http's request and response objects (streams, events, header bookkeeping)
// cost more CPU per call than the API's own work (~25 µs a request here, where adding a route costs ~3 µs), so the API
// parses requests with llhttp (http1.ts, as the data plane does) straight off the socket and writes each reply in one
// write.

export interface RoutesApiServerOptions extends RoutesApiOptions {
  /** A connection must deliver a request's headers within this time (ms), like node:http's headersTimeout. */
  headersTimeoutMs?: number;
  /** Idle time after a reply before a keep-alive connection is closed (ms); node:http's default is 5 s. */
  keepAliveTimeoutMs?: number;
  /** Time for a whole request (ms); node:http's default is 5 minutes. */
  requestTimeoutMs?: number;
}

/** The Date header, formatted once a second. */
let dateSecond = -1;
let dateText = '';
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

const IDLE = 0; // between requests
const HEAD = 1; // a request's headers are arriving
const BODY = 2; // headers done, body arriving

/** One client connection: parses its requests and answers each, in order, as soon as it is complete. */
class ApiConnection {
  private readonly parser: Http1Parser;
  state = HEAD;
  /** When the current state began (ms): the server's sweep checks the timeouts against it. */
  since = Date.now();
  private method = '';
  private url = '';
  private authorized = false;
  private keepAlive = true;
  /** Answered for good (413, bad request): whatever else the client sends is ignored. */
  private done = false;
  private readBody = false;
  /** The Authorization value this connection already passed the token check with. */
  private trusted: string | undefined;
  private first: Buffer | null = null;
  private chunks: Buffer[] | null = null;
  private size = 0;

  constructor(readonly socket: net.Socket, private readonly api: RoutesApi, private readonly keepAliveHeader: string) {
    // Methods as the parser's callbacks: no closure per connection for tsx's keep-names wrapper to rename.
    this.parser = new Http1Parser('request', this);
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('drain', () => socket.resume());
    socket.on('error', () => {}); // a reset by the client: 'close' follows
  }

  private onData(data: Buffer): void {
    if (this.done) return;
    if (this.state === IDLE) {
      this.state = HEAD;
      this.since = Date.now();
    }
    const ret = this.parser.execute(data);
    // (After a reply that closes the connection, llhttp rejects whatever follows: nothing more is answered then.)
    if (typeof ret !== 'number' && !this.done) {
      // As node:http answers a malformed request.
      this.done = true;
      this.socket.end(closingAnswer(malformedRequestStatus(ret)), 'latin1');
    }
  }

  onHead(head: MessageHead): void {
    if (this.done) return;
    this.state = BODY;
    this.method = head.method;
    this.url = head.url;
    // Upgrade and CONNECT requests get an ordinary answer, then the connection closes: nothing to upgrade to here.
    this.keepAlive = head.keepAlive && !head.upgrade;
    const { headers } = head;
    let auth: string | undefined;
    let length: string | undefined;
    let expectContinue = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      // Lengths first: most headers are skipped without lower-casing them.
      if (name.length === 13 && auth === undefined && name.toLowerCase() === 'authorization') auth = headers[i + 1];
      else if (name.length === 14 && name.toLowerCase() === 'content-length') length = headers[i + 1];
      else if (name.length === 6 && name.toLowerCase() === 'expect') expectContinue = headers[i + 1].toLowerCase() === '100-continue';
    }
    // The same header again on this connection skips the hash: it can only equal a value this very client already
    // sent with the right token, so the plain comparison tells a client without the token nothing.
    this.authorized = (auth !== undefined && auth === this.trusted) || this.api.authorized(auth);
    if (this.authorized) this.trusted = auth;
    // Only an authorized POST's body is kept: an unauthenticated caller learns nothing, not even whether its JSON parses.
    this.readBody = this.authorized && head.method === 'POST';
    this.size = 0;
    if (this.readBody && Number(length) > MAX_BODY) return this.tooLarge();
    if (expectContinue) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1'); // as node:http does by default
  }

  onBody(chunk: Buffer): void {
    if (!this.readBody || this.done) return;
    this.size += chunk.length;
    if (this.size > MAX_BODY) return this.tooLarge();
    if (this.first === null) this.first = chunk;
    else (this.chunks ??= [this.first]).push(chunk);
  }

  /** 413 at once; the connection then closes rather than reading the rest. */
  private tooLarge(): void {
    this.keepAlive = false;
    this.first = null;
    this.chunks = null;
    this.send(TOO_LARGE);
  }

  onComplete(): void {
    if (this.done) return;
    let r: ApiReply;
    if (!this.authorized) r = FORBIDDEN;
    else if (!this.readBody) r = this.api.handle(this.method, this.url, '');
    else r = this.api.handle(this.method, this.url, this.chunks ? Buffer.concat(this.chunks).toString('utf8') : this.first ? this.first.toString('utf8') : '');
    this.first = null;
    this.chunks = null;
    this.send(r);
  }

  /** The whole reply in one write (one syscall): status line, the headers node:http would send, body. */
  private send(r: ApiReply): void {
    const { socket } = this;
    let head = `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status]}\r\n`;
    if (r.status === 405) head += `Allow: ${ALLOWED}\r\n`;
    const body = r.body;
    if (body !== undefined) head += `Content-Type: ${r.contentType ?? 'application/json'}\r\n`;
    const length = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    head += `Content-Length: ${length}\r\nDate: ${httpDate()}\r\n${this.keepAlive ? this.keepAliveHeader : 'Connection: close\r\n\r\n'}`;
    let flushed: boolean;
    if (body === undefined) flushed = socket.write(head, 'latin1');
    else if (typeof body === 'string') flushed = socket.write(head + body, 'utf8'); // the head is ASCII
    else {
      socket.cork();
      socket.write(head, 'latin1');
      flushed = socket.write(body);
      socket.uncork();
    }
    this.state = IDLE;
    this.since = Date.now();
    if (!this.keepAlive) {
      this.done = true;
      socket.end();
    } else if (!flushed) {
      socket.pause(); // a client that pipelines without reading its replies waits until they drain
    }
  }

  close(): void {
    this.parser.close();
  }
}

/**
 * The routes API on its own lean HTTP/1.1 server (a net.Server). It answers as node:http does: keep-alive by default,
 * HTTP/1.0 and `Connection: close` honoured, `Expect: 100-continue`, 400/431 for malformed requests, pipelined
 * requests in order. node:http's keepAliveTimeout, headersTimeout and requestTimeout are enforced by one sweep a
 * second rather than timers per request.
 */
export class RoutesApiServer extends net.Server {
  private readonly clients: ConnectionSweep<ApiConnection>;

  constructor(options: RoutesApiServerOptions) {
    super({ noDelay: true });
    const api = new RoutesApi(options);
    const keepAliveMs = options.keepAliveTimeoutMs ?? 5_000;
    const headersMs = options.headersTimeoutMs ?? 60_000;
    const requestMs = options.requestTimeoutMs ?? 300_000;
    const keepAliveHeader = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveMs / 1000)}\r\n\r\n`;
    this.clients = new ConnectionSweep<ApiConnection>(Math.min(1000, keepAliveMs), (c, now) => {
      // A reply still being written (a big listing to a slow reader) gets the whole-request time, not the idle time.
      const limit = c.state === HEAD ? headersMs : c.state === IDLE && c.socket.writableLength === 0 ? keepAliveMs : requestMs;
      return now - c.since > limit;
    });
    this.on('connection', (socket: net.Socket) => {
      const conn = new ApiConnection(socket, api, keepAliveHeader);
      this.clients.add(conn, () => conn.close());
    });
    this.on('close', () => this.clients.stop());
  }

  /** As http.Server's: drops every connection, idle or not. */
  closeAllConnections(): void {
    this.clients.destroyAll();
  }
}

/** The API server; start it with listen() like any net.Server. */
export function createRoutesApiServer(options: RoutesApiServerOptions): RoutesApiServer {
  return new RoutesApiServer(options);
}
