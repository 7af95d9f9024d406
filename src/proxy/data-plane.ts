import type net from 'node:net';
import type { Logger } from '../log/index.ts';
import { ClientConnection } from './client-connection.ts';
import { closingAnswer, ConnectionSweep } from './connections.ts';
import { HOP_BY_HOP, reason } from './exchange.ts';
import type { MessageHead } from './http1.ts';
import { ProxyCounters } from './counters.ts';
import type { Route, RouteTable } from './route-table.ts';
import { connectTo, UpstreamPool, type UpstreamConnection } from './upstream-pool.ts';

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

function upgradeHeader(headers: string[]): string {
  for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() === 'upgrade') return headers[i + 1];
  return 'websocket';
}
