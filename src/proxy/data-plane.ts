import { STATUS_CODES } from 'node:http';
import net from 'node:net';
import type { Logger } from '../log/index.ts';
import { closingAnswer, ConnectionSweep, malformedRequestStatus } from './connections.ts';
import { Http1Parser, type MessageHead } from './http1.ts';
import { ProxyCounters } from './counters.ts';
import type { Route, RouteTable } from './route-table.ts';
import { connectTo, UpstreamPool, type UpstreamConnection, type UpstreamListener } from './upstream-pool.ts';

/** Headers that describe one hop, not the message; never forwarded. Framing headers are rewritten, not copied. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'http2-settings', 'transfer-encoding']);
const reason = (code: number) => STATUS_CODES[code] ?? 'Error';

export interface DataPlaneOptions {
  table: RouteTable;
  log: Logger;
  /** CHP's --error-target: GET <it>/<code>?url=<path> renders error pages. */
  errorTarget?: string;
  /** 'https' when the public listener has TLS. */
  scheme: 'http' | 'https';
  /** Idle timeout of the connection to a backend (ms, 0 = none): CHP's --proxy-timeout. */
  proxyTimeoutMs: number;
  /** Extra request headers (CHP's --custom-header); they replace client-sent ones of the same name. */
  customHeaders?: [string, string][];
  /** Time a client has to send a request's headers, from its first byte (or from connecting) (ms). */
  headersTimeoutMs: number;
  /** How long an idle keep-alive client connection is kept between requests (ms). */
  keepAliveTimeoutMs: number;
  /** Idle timeout of client connections while a request is under way (ms, 0 = none). */
  clientTimeoutMs: number;
  /** Called on every request and websocket (for the idle collector). */
  onTraffic?(): void;
  /** Request, answer and byte counters (GET /metrics on the routes API). */
  counters?: ProxyCounters;
}

/** One request and its response on a client connection. */
interface Exchange {
  head: MessageHead;
  route: Route | undefined;
  /** The request's forwarded header lines (X-Forwarded-* and custom headers included). */
  headerText: string;
  /** The request head as sent to the backend (kept for the one retry). */
  upstreamHead: string;
  hasBody: boolean;
  /** The request body is re-framed as chunked towards the backend. */
  chunkedUp: boolean;
  /** Body chunks that arrived while the exchange waited its turn (pipelining). */
  buffered: Buffer[] | null;
  requestDone: boolean;
  upstream: UpstreamConnection | null;
  retried: boolean;
  /** What is happening on the response side. */
  response: 'none' | 'started' | 'done';
  status: number;
  chunkedDown: boolean;
  isHead: boolean;
  /** The client connection closes after this response. */
  closeAfter: boolean;
  /** The client waits for "100 Continue" before sending its body. */
  expectContinue: boolean;
  /**
   * The backend answered before the request body was all there and will close (a 413, a 401): the rest of the
   * body is read from the client and dropped, never sent on, so the backend's answer is what the client gets.
   */
  bodyRefused: boolean;
}

const pathOf = (url: string) => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

/**
 * The public side of the proxy, on raw sockets: parses requests with llhttp, forwards them over pooled keep-alive
 * backend connections, writes responses back head and body in one syscall where it can. Clients keep their
 * connections alive (CHP closes every one). Websockets are piped byte for byte after the upgrade.
 */
export class DataPlane {
  private readonly pool: UpstreamPool;
  private readonly customHeaderNames: Set<string>;
  private readonly customHeaderText: string;
  private readonly connections: ConnectionSweep<ClientConnection>;
  readonly counters: ProxyCounters;

  constructor(readonly options: DataPlaneOptions) {
    this.counters = options.counters ?? new ProxyCounters();
    this.customHeaderNames = new Set((options.customHeaders ?? []).map(([name]) => name.toLowerCase()));
    this.customHeaderText = (options.customHeaders ?? []).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    this.pool = new UpstreamPool({ keepAliveMs: 30_000, maxIdlePerOrigin: 512 });
    // Cuts connections whose request headers are late.
    this.connections = new ConnectionSweep(Math.max(100, Math.min(1000, options.headersTimeoutMs / 4)), (conn, now) => conn.deadline !== 0 && now > conn.deadline);
  }

  /** Takes over a new client connection (plain or TLS). */
  serve = (socket: net.Socket): void => {
    this.connections.add(new ClientConnection(this, socket));
  };

  close(): void {
    this.connections.stop();
    this.connections.destroyAll();
    this.pool.close();
  }

  /** Set once another process took over the listeners: every answer from now on closes its connection. */
  draining = false;

  /**
   * Lets the connections this process still has finish: each ends after its current (or next) answer, sent
   * with `Connection: close` so clients reconnect to the new process; websockets stay until they close.
   * Resolves when none is left.
   */
  drain(): Promise<void> {
    this.draining = true;
    this.connections.forEach((conn) => conn.closeAfterAnswer());
    return this.connections.empty();
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** The route for a request target; null for a malformed %-escape (a 400, not a crash). */
  matchRoute(url: string): Route | undefined | null {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathOf(url));
    } catch {
      return null;
    }
    return this.options.table.match(decoded);
  }

  upstreamPath(route: Route, url: string): string {
    const base = route.targetUrl.pathname;
    return base && base !== '/' ? `${base.replace(/\/$/, '')}${url}` : url;
  }

  /**
   * Request headers for the backend, as text: hop-by-hop ones dropped, X-Forwarded-* appended to what the client
   * sent (as CHP does), custom headers last. Also says whether the request has a body and how it is framed.
   */
  forwardHeaders(headers: string[], remoteAddress: string, proto: string): { text: string; hasBody: boolean; chunked: boolean; expectContinue: boolean } {
    let text = '';
    let xfFor = '', xfPort = '', xfProto = '', hasXfHost = false, host = '';
    let hasBody = false, chunked = false, expectContinue = false;
    const custom = this.customHeaderNames;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      const value = headers[i + 1];
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        if (value !== '0') hasBody = true;
      } else if (lower === 'transfer-encoding') {
        hasBody = true;
        chunked = true;
        continue;
      } else if (lower === 'expect') {
        expectContinue = value.toLowerCase() === '100-continue';
        continue;
      } else if (lower === 'host') {
        host = value;
      } else if (HOP_BY_HOP.has(lower)) {
        continue;
      } else if (lower.startsWith('x-forwarded-')) {
        if (lower === 'x-forwarded-for') { xfFor = xfFor ? `${xfFor},${value}` : value; continue; }
        if (lower === 'x-forwarded-port') { xfPort = xfPort ? `${xfPort},${value}` : value; continue; }
        if (lower === 'x-forwarded-proto') { xfProto = xfProto ? `${xfProto},${value}` : value; continue; }
        if (lower === 'x-forwarded-host') hasXfHost = true;
      }
      if (custom.size && custom.has(lower)) continue;
      text += `${name}: ${value}\r\n`;
    }
    const colon = host.lastIndexOf(':');
    const port = colon >= 0 && colon > host.lastIndexOf(']') ? host.slice(colon + 1) : this.options.scheme === 'https' ? '443' : '80';
    text += `x-forwarded-for: ${xfFor ? `${xfFor},` : ''}${remoteAddress}\r\nx-forwarded-port: ${xfPort ? `${xfPort},` : ''}${port}\r\n`
      + `x-forwarded-proto: ${xfProto ? `${xfProto},` : ''}${proto}\r\n`;
    if (!hasXfHost && host) text += `x-forwarded-host: ${host}\r\n`;
    text += this.customHeaderText;
    return { text, hasBody, chunked, expectContinue };
  }

  acquireUpstream(route: Route): UpstreamConnection {
    // While waiting for the answer's head: --proxy-timeout, or 5 minutes so a dead backend cannot pin a client forever.
    return this.pool.acquire(route.targetUrl, this.options.proxyTimeoutMs || 300_000);
  }

  releaseUpstream(conn: UpstreamConnection): void {
    this.pool.release(conn);
  }

  /** CHP's error behaviour: the error target renders the page (status kept); plain text without one. */
  async errorPage(code: number, url: string): Promise<{ head: string; body: Buffer }> {
    if (this.options.errorTarget) {
      try {
        const page = await fetch(`${this.options.errorTarget.replace(/\/$/, '')}/${code}?url=${encodeURIComponent(url)}`, { signal: AbortSignal.timeout(5000) });
        const body = Buffer.from(await page.arrayBuffer());
        const type = page.headers.get('content-type');
        const encoding = page.headers.get('content-encoding');
        return { head: `${type ? `Content-Type: ${type}\r\n` : ''}${encoding ? `Content-Encoding: ${encoding}\r\n` : ''}`, body };
      } catch {
        // the hub is down too: plain text
      }
    }
    return { head: 'Content-Type: text/plain; charset=utf-8\r\n', body: Buffer.from(reason(code)) };
  }

  /** Websockets: the upgrade request is replayed to the backend and both sockets are piped, byte for byte. */
  upgrade(head: MessageHead, socket: net.Socket, rest: Buffer): void {
    this.options.onTraffic?.();
    const counters = this.counters;
    counters.requests++;
    const refuse = (code: number) => {
      counters.answered(code);
      if (socket.writable) socket.end(closingAnswer(code));
      else socket.destroy();
    };
    const route = this.matchRoute(head.url);
    if (route === null) return refuse(400);
    if (!route) return refuse(404);
    // Hold whatever the client sends until the backend is there to take it.
    socket.pause();
    const endpoint = this.pool.endpoint(route.targetUrl);
    const backend = connectTo(endpoint);
    const { text } = this.forwardHeaders(head.headers, socket.remoteAddress ?? '', this.options.scheme === 'https' ? 'wss' : 'ws');
    const upgradeTo = upgradeHeader(head.headers);
    let connected = false;
    backend.once(endpoint.secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      backend.write(`${head.method} ${this.upstreamPath(route, head.url)} HTTP/1.1\r\n${text}Connection: Upgrade\r\nUpgrade: ${upgradeTo}\r\n\r\n`, 'latin1');
      if (rest.length) backend.write(rest);
      socket.setTimeout(0);
      // Messages from the client are use of the server, and traffic for the idle collector.
      counters.answered(101);
      counters.websocketsOpened++;
      counters.websocketsOpen++;
      forward(socket, backend, (n) => { this.options.table.touch(route); this.options.onTraffic?.(); counters.bytesReceived += n; });
      forward(backend, socket, (n) => { counters.bytesSent += n; });
      socket.resume();
    });
    backend.on('error', (err) => {
      this.options.log.debug({ target: route.target, err: err.message }, 'websocket upstream error');
      if (!connected) refuse(503);
      else socket.destroy();
    });
    backend.on('close', () => {
      if (!connected) return;
      connected = false;
      counters.websocketsOpen--;
      socket.destroy();
    });
    socket.on('close', () => backend.destroy());
  }
}

/**
 * Moves bytes one way between two sockets, pausing the reader while the writer is full. (Cheaper per chunk than
 * stream.pipe, and one listener does the activity bookkeeping too.)
 */
function forward(from: net.Socket, to: net.Socket, onChunk: (bytes: number) => void): void {
  from.on('data', (chunk: Buffer) => {
    onChunk(chunk.length);
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
}

/** Writes a body chunk as is, or as one chunk of a chunked body; false when the socket's buffer is full. */
function writeFramed(socket: net.Socket, chunk: Buffer, chunked: boolean): boolean {
  if (!chunked) return socket.write(chunk);
  socket.write(`${chunk.length.toString(16)}\r\n`);
  socket.write(chunk);
  return socket.write('\r\n');
}

function upgradeHeader(headers: string[]): string {
  for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() === 'upgrade') return headers[i + 1];
  return 'websocket';
}

/** One client connection: requests are served one at a time, in order (pipelined ones wait their turn). */
class ClientConnection {
  private readonly parser: Http1Parser;
  /** The exchange being answered, and the ones parsed behind it. */
  private active: Exchange | null = null;
  private readonly queue: Exchange[] = [];
  /** The exchange whose request the parser is reading now (its body goes there). */
  private parsing: Exchange | null = null;
  /** Set while waiting for a request's headers: the connection is cut if they have not arrived by then. */
  deadline: number;
  private upgradeRequest: MessageHead | null = null;
  private pausedForBackend = false;
  /** Inside onData: writes to a backend are corked and flushed together when the chunk is parsed. */
  private inData = false;
  private corked: net.Socket | null = null;
  closed = false;

  constructor(readonly plane: DataPlane, readonly socket: net.Socket) {
    const options = plane.options;
    this.deadline = Date.now() + options.headersTimeoutMs;
    plane.counters.connectionsOpened++;
    socket.setNoDelay(true);
    if (options.clientTimeoutMs) socket.setTimeout(options.clientTimeoutMs, () => socket.destroy());
    this.parser = new Http1Parser('request', {
      onMessageBegin: () => { this.deadline = Date.now() + options.headersTimeoutMs; },
      onHead: (head) => this.onHead(head),
      onBody: (chunk) => this.onBody(chunk),
      onComplete: () => this.onRequestComplete(),
    });
    socket.on('data', this.onData);
    socket.on('error', () => undefined); // reported through 'close'
    socket.on('close', () => this.onClose());
  }

  private onData = (data: Buffer): void => {
    this.plane.counters.bytesReceived += data.length;
    this.inData = true;
    const result = this.parser.execute(data);
    this.inData = false;
    if (this.corked) {
      this.corked.uncork();
      this.corked = null;
    }
    if (typeof result !== 'number') return this.badRequest(result);
    if (this.upgradeRequest) {
      const head = this.upgradeRequest;
      this.upgradeRequest = null;
      this.socket.off('data', this.onData);
      this.deadline = 0;
      if (this.active) return void this.socket.destroy(); // an upgrade behind a pending request: not supported
      this.plane.upgrade(head, this.socket, data.subarray(result));
    }
  };

  private badRequest(err: Error & { code?: string }): void {
    if (this.active || this.queue.length || !this.socket.writable) return void this.socket.destroy();
    this.socket.end(closingAnswer(malformedRequestStatus(err)));
  }

  private onHead(head: MessageHead): void {
    this.deadline = 0;
    if (head.upgrade) {
      // CONNECT is an "upgrade" to llhttp too; a proxy for Jupyter servers has no tunnels to offer.
      if (head.method === 'CONNECT') return void this.socket.destroy();
      this.upgradeRequest = head;
      return;
    }
    const plane = this.plane;
    const { text, hasBody, chunked, expectContinue } = plane.forwardHeaders(head.headers, this.socket.remoteAddress ?? '', plane.options.scheme);
    const ex: Exchange = {
      head, route: undefined, headerText: text, upstreamHead: '', hasBody, chunkedUp: chunked, buffered: null, requestDone: false,
      upstream: null, retried: false, response: 'none', status: 0, chunkedDown: false, isHead: head.method === 'HEAD',
      closeAfter: !head.keepAlive || plane.draining, expectContinue: expectContinue && hasBody, bodyRefused: false,
    };
    this.parsing = ex;
    if (this.active) {
      // Pipelined: wait for the one ahead; stop reading until then so buffering stays bounded.
      ex.buffered = [];
      this.queue.push(ex);
      this.socket.pause();
      return;
    }
    this.start(ex);
  }

  private start(ex: Exchange): void {
    const plane = this.plane;
    this.active = ex;
    plane.options.onTraffic?.();
    plane.counters.requests++;
    const { head } = ex;
    // Answered here, as node:http does, so the client sends its body while the backend is being reached.
    if (ex.expectContinue) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    if (head.url === '/_chp_healthz') return this.respondLocal(ex, 200, 'Content-Type: application/json\r\n', Buffer.from('{"status":"OK"}'));
    const route = plane.matchRoute(head.url);
    const buffered = ex.buffered;
    ex.buffered = null;
    if (route === null) return void this.respondError(ex, 400);
    if (!route) return void this.respondError(ex, 404);
    ex.route = route;
    ex.upstreamHead = `${head.method} ${plane.upstreamPath(route, head.url)} HTTP/1.1\r\n${ex.headerText}${ex.chunkedUp ? 'Transfer-Encoding: chunked\r\n' : ''}\r\n`;
    this.send(ex, buffered);
  }

  /** Sends the request head (and what body has arrived) on a backend connection. */
  send(ex: Exchange, buffered: Buffer[] | null = null): void {
    const conn = this.plane.acquireUpstream(ex.route!);
    ex.upstream = conn;
    conn.listener = new ResponseRelay(this, ex, conn);
    if (ex.hasBody && this.inData && !this.corked) {
      conn.socket.cork();
      this.corked = conn.socket;
    }
    conn.socket.write(ex.upstreamHead, 'latin1');
    if (buffered) for (const chunk of buffered) this.writeBody(ex, chunk);
    if (ex.requestDone && ex.chunkedUp) conn.socket.write('0\r\n\r\n');
  }

  private writeBody(ex: Exchange, chunk: Buffer): void {
    const up = ex.upstream!.socket;
    if (!writeFramed(up, chunk, ex.chunkedUp) && !this.pausedForBackend) {
      // A slow backend: stop reading the client until it catches up.
      this.pausedForBackend = true;
      this.socket.pause();
      up.once('drain', () => {
        this.pausedForBackend = false;
        if (!this.queue.length) this.socket.resume();
      });
    }
  }

  private onBody(chunk: Buffer): void {
    const ex = this.parsing;
    if (!ex) return;
    if (ex.buffered) ex.buffered.push(chunk);
    else if (ex.upstream && ex.response !== 'done' && !ex.bodyRefused) this.writeBody(ex, chunk);
    // else: the answer did not need the body (an error page, or the backend already answered): dropped
  }

  private onRequestComplete(): void {
    const ex = this.parsing;
    if (!ex) return;
    this.parsing = null;
    ex.requestDone = true;
    if (ex.buffered) return;
    if (ex.upstream && ex.chunkedUp && ex.response !== 'done' && !ex.bodyRefused) ex.upstream.socket.write('0\r\n\r\n');
    if (ex.response === 'done') this.finish(ex);
  }

  /** An answer the proxy makes itself (errors, health). */
  private respondLocal(ex: Exchange, code: number, headerText: string, body: Buffer): void {
    if (this.closed || ex.response !== 'none') return;
    ex.response = 'done';
    this.plane.counters.answered(code);
    this.plane.counters.bytesSent += body.length;
    const close = ex.closeAfter ? 'Connection: close\r\n' : ex.head.versionMinor === 0 ? 'Connection: keep-alive\r\n' : '';
    this.socket.cork();
    this.socket.write(`HTTP/1.1 ${code} ${reason(code)}\r\n${headerText}Content-Length: ${body.length}\r\n${close}\r\n`, 'latin1');
    if (!ex.isHead) this.socket.write(body);
    this.socket.uncork();
    if (ex.requestDone) this.finish(ex);
  }

  async respondError(ex: Exchange, code: number): Promise<void> {
    ex.response = 'started'; // nothing else answers this exchange meanwhile
    const page = await this.plane.errorPage(code, ex.head.url);
    ex.response = 'none';
    this.respondLocal(ex, code, page.head, page.body);
  }

  /** Draining: the answers not yet begun close the connection when they are done. */
  closeAfterAnswer(): void {
    for (const ex of [this.active, ...this.queue]) if (ex && ex.response === 'none') ex.closeAfter = true;
  }

  /** Both the request and its answer are complete: next request, or close. */
  finish(ex: Exchange): void {
    if (this.active !== ex) return;
    this.active = null;
    if (ex.closeAfter) return void this.socket.end();
    const next = this.queue.shift();
    if (next) {
      this.start(next);
      if (!this.queue.length && !this.pausedForBackend) this.socket.resume();
      return;
    }
    // Idle between requests: a keep-alive client gets the keep-alive time to send its next one.
    this.deadline = Date.now() + this.plane.options.keepAliveTimeoutMs;
  }

  private onClose(): void {
    this.closed = true;
    this.deadline = 0;
    this.parser.close();
    for (const ex of [this.active, ...this.queue]) {
      if (ex?.upstream) {
        // The client went away mid-exchange: the backend connection is in an unknown state.
        const conn = ex.upstream;
        ex.upstream = null;
        conn.listener = null;
        conn.socket.destroy();
      }
    }
    this.active = null;
    this.queue.length = 0;
  }
}

/**
 * Carries one backend answer to the client: rewrites the head, re-frames the body when needed, and hands the
 * backend connection back to the pool. A class rather than closures: one object per request, no closures to build.
 */
class ResponseRelay implements UpstreamListener {
  readonly clientSocket: net.Socket;
  private waitingForDrain = false;

  constructor(private readonly owner: ClientConnection, private readonly ex: Exchange, private readonly conn: UpstreamConnection) {
    this.clientSocket = owner.socket;
  }

  onHead(head: MessageHead): boolean {
    const { ex, conn } = this;
    if (head.status === 101) {
      // A backend switching protocols on a plain request: nothing sane to forward.
      conn.socket.destroy();
      return false;
    }
    ex.response = 'started';
    ex.status = head.status;
    // An early answer from a backend that closes after it: more body would only meet a reset, which could
    // discard the answer before it is read.
    if (!ex.requestDone && !head.keepAlive) ex.bodyRefused = true;
    this.owner.plane.counters.answered(head.status);
    let text = `HTTP/1.1 ${head.status} ${head.statusMessage}\r\n`;
    let hasLength = false;
    const headers = head.headers;
    for (let i = 0; i < headers.length; i += 2) {
      const lower = headers[i].toLowerCase();
      if (HOP_BY_HOP.has(lower)) continue;
      if (lower === 'content-length') hasLength = true;
      text += `${headers[i]}: ${headers[i + 1]}\r\n`;
    }
    const bodyless = ex.isHead || head.status === 204 || head.status === 304;
    if (!bodyless && !hasLength) {
      // The backend streams (chunked, or until it closes): chunked to HTTP/1.1 clients keeps their connection.
      if (ex.head.versionMinor >= 1) {
        ex.chunkedDown = true;
        text += 'Transfer-Encoding: chunked\r\n';
      } else {
        ex.closeAfter = true;
      }
    }
    if (ex.closeAfter) text += 'Connection: close\r\n';
    else if (ex.head.versionMinor === 0) text += 'Connection: keep-alive\r\n';
    this.clientSocket.write(`${text}\r\n`, 'latin1');
    // The head is in: from now on only --proxy-timeout limits how long the body may pause.
    conn.socket.setTimeout(this.owner.plane.options.proxyTimeoutMs);
    return ex.isHead;
  }

  onBody(chunk: Buffer): void {
    this.owner.plane.counters.bytesSent += chunk.length;
    const client = this.clientSocket;
    if (!writeFramed(client, chunk, this.ex.chunkedDown) && !this.waitingForDrain) {
      // A slow client: stop reading the backend until it catches up.
      this.waitingForDrain = true;
      this.conn.socket.pause();
      client.once('drain', () => {
        this.waitingForDrain = false;
        this.conn.socket.resume();
      });
    }
  }

  onComplete(): void {
    const { ex, conn, owner } = this;
    if (ex.chunkedDown) this.clientSocket.write('0\r\n\r\n');
    ex.response = 'done';
    // Only successful answers count as activity, as CHP does (redirects and errors are not use).
    if (ex.status < 300) owner.plane.options.table.touch(ex.route!);
    ex.upstream = null;
    // Reusable only if the backend got the whole request too.
    if (ex.requestDone) {
      owner.plane.releaseUpstream(conn);
      owner.finish(ex);
    } else {
      conn.socket.destroy();
    }
  }

  onFailed(err: Error): void {
    const { ex, conn, owner } = this;
    ex.upstream = null;
    if (owner.closed) return;
    if (ex.response !== 'none') return void this.clientSocket.destroy(); // mid-answer: the client sees a cut response
    // A kept-alive connection the backend had just closed: once more on a fresh one, for requests without a body.
    const method = ex.head.method;
    if (conn.reused && !ex.retried && !ex.hasBody && (method === 'GET' || method === 'HEAD' || method === 'OPTIONS')) {
      ex.retried = true;
      return owner.send(ex);
    }
    owner.plane.options.log.debug({ target: ex.route?.target, err: err.message }, 'upstream unreachable');
    void owner.respondError(ex, 503);
  }
}
