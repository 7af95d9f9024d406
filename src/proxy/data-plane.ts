import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import type { Logger } from '../log/index.ts';
import type { Route, RouteTable } from './route-table.ts';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'http2-settings']);
const REASONS: Record<number, string> = { 404: 'Not Found', 503: 'Service Unavailable', 500: 'Internal Server Error', 400: 'Bad Request' };

export interface DataPlaneOptions {
  table: RouteTable;
  log: Logger;
  /** CHP's --error-target: GET <it>/<code>?url=<path> renders error pages. */
  errorTarget?: string;
  /** 'https' when the public listener has TLS. */
  scheme: 'http' | 'https';
  /** Idle timeout of the connection to a backend (ms, 0 = none): CHP's --proxy-timeout. */
  proxyTimeoutMs: number;
  /** Extra request headers (CHP's --custom-header). */
  customHeaders?: [string, string][];
}

/** Request headers undici manages itself (framing) or refuses. */
const REQUEST_ONLY_DROPPED = new Set(['transfer-encoding', 'expect']);

function appendValue(previous: string, value: string): string {
  return previous ? `${previous},${value}` : value;
}

/**
 * Moves requests to the route's target. Upstream connections are pooled and kept alive (CHP opens one per
 * request, which is most of its cost); client connections stay alive too.
 */
export class DataPlane {
  /** One keep-alive pool per backend origin; pools of backends that went away are dropped by undici. */
  private readonly upstream: Agent;

  /** Custom headers replace whatever the client sent under the same name. */
  private readonly customHeaderNames: Set<string>;

  constructor(private readonly options: DataPlaneOptions) {
    this.customHeaderNames = new Set((options.customHeaders ?? []).map(([name]) => name.toLowerCase()));
    this.upstream = new Agent({
      connections: 256,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connectTimeout: 10_000,
      // A backend that never answers frees its client after this; bodies may stream forever (event streams).
      headersTimeout: options.proxyTimeoutMs || 300_000,
      bodyTimeout: options.proxyTimeoutMs || 0,
    });
  }

  close(): void {
    void this.upstream.destroy().catch(() => undefined);
  }

  private route(req: IncomingMessage): Route | undefined | null {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q < 0 ? raw : raw.slice(0, q);
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return null; // malformed escape: a 400, not a crash
    }
    return this.options.table.match(decoded);
  }

  /** Request headers for the backend: hop-by-hop ones dropped, X-Forwarded-* appended as CHP does. */
  private forwardedHeaders(req: IncomingMessage, proto: string): string[] {
    const raw = req.rawHeaders;
    const out: string[] = [];
    let xfFor = '', xfPort = '', xfProto = '', hasXfHost = false, host = '';
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower) || REQUEST_ONLY_DROPPED.has(lower) || this.customHeaderNames.has(lower)) continue;
      if (lower.startsWith('x-forwarded-')) {
        if (lower === 'x-forwarded-for') { xfFor = xfFor ? `${xfFor},${raw[i + 1]}` : raw[i + 1]; continue; }
        if (lower === 'x-forwarded-port') { xfPort = xfPort ? `${xfPort},${raw[i + 1]}` : raw[i + 1]; continue; }
        if (lower === 'x-forwarded-proto') { xfProto = xfProto ? `${xfProto},${raw[i + 1]}` : raw[i + 1]; continue; }
        if (lower === 'x-forwarded-host') hasXfHost = true;
      } else if (lower === 'host') {
        host = raw[i + 1];
      }
      out.push(name, raw[i + 1]);
    }
    const colon = host.lastIndexOf(':');
    const port = colon > host.lastIndexOf(']') && colon >= 0 ? host.slice(colon + 1) : this.options.scheme === 'https' ? '443' : '80';
    out.push(
      'x-forwarded-for', appendValue(xfFor, req.socket.remoteAddress ?? ''),
      'x-forwarded-port', appendValue(xfPort, port),
      'x-forwarded-proto', appendValue(xfProto, proto),
    );
    if (!hasXfHost && host) out.push('x-forwarded-host', host);
    for (const [name, value] of this.options.customHeaders ?? []) out.push(name, value);
    return out;
  }

  private upstreamPath(route: Route, url: string): string {
    const base = route.targetUrl.pathname;
    return base && base !== '/' ? `${base.replace(/\/$/, '')}${url}` : url;
  }

  handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url === '/_chp_healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":"OK"}');
      return;
    }
    const route = this.route(req);
    if (route === null) return void this.sendError(req, res, 400);
    if (!route) return void this.sendError(req, res, 404);
    this.forward(req, res, route, this.forwardedHeaders(req, this.options.scheme), false);
  };

  private forward(req: IncomingMessage, res: ServerResponse, route: Route, headers: string[], isRetry: boolean): void {
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    let abort: ((err?: Error) => void) | null = null;
    let answered = false;
    let resume: (() => void) | null = null;
    const onClientGone = () => {
      if (!res.writableFinished && abort) abort(new Error('client went away'));
    };
    res.once('close', onClientGone);
    this.upstream.dispatch({
      origin: route.targetUrl.origin,
      path: this.upstreamPath(route, req.url ?? '/'),
      method: req.method as Dispatcher.HttpMethod,
      headers,
      body: hasBody && !isRetry ? req : null,
    }, {
      onConnect: (abortRequest) => { abort = abortRequest; },
      onHeaders: (status, rawHeaders, resumeBody, statusText) => {
        answered = true;
        resume = resumeBody;
        const out: string[] = [];
        for (let i = 0; i < rawHeaders.length; i += 2) {
          const name = rawHeaders[i].toString('latin1');
          if (!HOP_BY_HOP.has(name.toLowerCase()) && name.toLowerCase() !== 'transfer-encoding') out.push(name, rawHeaders[i + 1].toString('latin1'));
        }
        if (res.destroyed) return false;
        res.writeHead(status, statusText, out);
        return true;
      },
      onData: (chunk) => {
        const more = res.write(chunk);
        if (!more) res.once('drain', () => resume?.());
        return more;
      },
      onComplete: () => {
        res.off('close', onClientGone);
        // Only successful answers count as activity, as CHP does (redirects and errors are not use).
        if ((res.statusCode ?? 500) < 300) this.options.table.touch(route);
        res.end();
      },
      onError: (err: Error & { code?: string }) => {
        res.off('close', onClientGone);
        if (answered) return void res.destroy();
        if (res.destroyed) return;
        // A pooled connection the backend had just closed: retry once, for requests without a body.
        const idempotent = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
        if (!isRetry && idempotent && !hasBody && (err.code === 'UND_ERR_SOCKET' || err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          return this.forward(req, res, route, headers, true);
        }
        this.options.log.debug({ target: route.target, err: err.message }, 'upstream unreachable');
        void this.sendError(req, res, 503);
      },
    });
  }

  /** CHP's error behaviour: ask the error target for a page, keep the original status; plain text otherwise. */
  private async sendError(req: IncomingMessage, res: ServerResponse, code: number): Promise<void> {
    if (res.headersSent) return void res.destroy();
    const reason = REASONS[code] ?? 'Error';
    if (this.options.errorTarget) {
      try {
        const url = `${this.options.errorTarget.replace(/\/$/, '')}/${code}?url=${encodeURIComponent(req.url ?? '/')}`;
        const page = await fetch(url, { signal: AbortSignal.timeout(5000) });
        const body = Buffer.from(await page.arrayBuffer());
        if (res.headersSent || res.destroyed) return;
        const type = page.headers.get('content-type');
        const encoding = page.headers.get('content-encoding');
        res.writeHead(code, { ...(type ? { 'Content-Type': type } : {}), ...(encoding ? { 'Content-Encoding': encoding } : {}), 'Content-Length': body.length });
        res.end(body);
        return;
      } catch {
        // the hub is down too: fall back to text
      }
    }
    if (res.headersSent || res.destroyed) return;
    res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(reason) });
    res.end(reason);
  }

  /** Websockets: the upgrade request is replayed to the backend and both sockets are piped, byte for byte. */
  handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const refuse = (code: number) => {
      if (socket.writable) socket.end(`HTTP/1.1 ${code} ${REASONS[code] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const route = this.route(req);
    if (route === null) return refuse(400);
    if (!route) return refuse(404);
    const target = route.targetUrl;
    const secure = target.protocol === 'https:' || target.protocol === 'wss:';
    const port = Number(target.port || (secure ? 443 : 80));
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const backend = secure ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
    const headers = this.forwardedHeaders(req, this.options.scheme === 'https' ? 'wss' : 'ws');
    headers.push('Connection', 'Upgrade', 'Upgrade', req.headers.upgrade ?? 'websocket');
    let connected = false;
    backend.once(secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      let head1 = `${req.method} ${this.upstreamPath(route, req.url ?? '/')} HTTP/1.1\r\n`;
      for (let i = 0; i < headers.length; i += 2) head1 += `${headers[i]}: ${headers[i + 1]}\r\n`;
      backend.write(head1 + '\r\n');
      if (head.length) backend.write(head);
      backend.setNoDelay(true);
      (socket as net.Socket).setNoDelay?.(true);
      (socket as net.Socket).setTimeout?.(0);
      backend.pipe(socket);
      socket.pipe(backend);
      // Messages from the client are use of the server.
      socket.on('data', () => this.options.table.touch(route));
    });
    backend.on('error', (err) => {
      this.options.log.debug({ target: route.target, err: err.message }, 'websocket upstream error');
      if (!connected) refuse(503);
      else socket.destroy();
    });
    backend.on('close', () => socket.destroy());
    socket.on('close', () => backend.destroy());
  };
}
