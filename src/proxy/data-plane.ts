import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
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
}

function appendHeader(existing: string | string[] | undefined, value: string): string {
  const prev = Array.isArray(existing) ? existing.join(',') : existing;
  return prev ? `${prev},${value}` : value;
}

/**
 * Moves requests to the route's target. Upstream connections are pooled and kept alive (CHP opens one per
 * request, which is most of its cost); client connections stay alive too.
 */
export class DataPlane {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 256, scheduling: 'lifo', timeout: 60_000 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 256, scheduling: 'lifo', timeout: 60_000 });

  constructor(private readonly options: DataPlaneOptions) {}

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
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

  private forwardedHeaders(req: IncomingMessage, proto: string): http.OutgoingHttpHeaders {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    const host = req.headers.host ?? '';
    const portMatch = /:(\d+)$/.exec(host);
    const encrypted = this.options.scheme === 'https';
    headers['x-forwarded-for'] = appendHeader(req.headers['x-forwarded-for'], req.socket.remoteAddress ?? '');
    headers['x-forwarded-port'] = appendHeader(req.headers['x-forwarded-port'], portMatch ? portMatch[1] : encrypted ? '443' : '80');
    headers['x-forwarded-proto'] = appendHeader(req.headers['x-forwarded-proto'], proto);
    if (!req.headers['x-forwarded-host'] && host) headers['x-forwarded-host'] = host;
    return headers;
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
    this.forward(req, res, route, false);
  };

  private forward(req: IncomingMessage, res: ServerResponse, route: Route, isRetry: boolean): void {
    const target = route.targetUrl;
    const secure = target.protocol === 'https:' || target.protocol === 'wss:';
    const upstream = (secure ? https : http).request({
      protocol: secure ? 'https:' : 'http:',
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || (secure ? 443 : 80),
      method: req.method,
      path: this.upstreamPath(route, req.url ?? '/'),
      headers: this.forwardedHeaders(req, this.options.scheme),
      agent: secure ? this.httpsAgent : this.httpAgent,
      timeout: this.options.proxyTimeoutMs || undefined,
    });
    let answered = false;
    upstream.on('response', (up) => {
      answered = true;
      const headers: string[] = [];
      for (let i = 0; i < up.rawHeaders.length; i += 2) {
        if (!HOP_BY_HOP.has(up.rawHeaders[i].toLowerCase())) headers.push(up.rawHeaders[i], up.rawHeaders[i + 1]);
      }
      res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
      up.pipe(res);
      up.on('end', () => {
        // Only successful answers count as activity, as CHP does (redirects and errors are not use).
        if ((up.statusCode ?? 500) < 300) route.lastActivity = Date.now();
      });
      up.on('error', () => res.destroy());
    });
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (answered) return void res.destroy();
      // A pooled connection the backend had just closed: retry once, for requests without a body.
      const idempotent = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
      if (!isRetry && idempotent && upstream.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
        return this.forward(req, res, route, true);
      }
      this.options.log.debug({ target: route.target, err: err.message }, 'upstream unreachable');
      void this.sendError(req, res, 503);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (isRetry || req.readableEnded) upstream.end();
    else req.pipe(upstream);
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
    headers.connection = 'Upgrade';
    headers.upgrade = req.headers.upgrade ?? 'websocket';
    let connected = false;
    backend.once(secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      let head1 = `${req.method} ${this.upstreamPath(route, req.url ?? '/')} HTTP/1.1\r\n`;
      for (const [k, v] of Object.entries(headers)) {
        for (const value of Array.isArray(v) ? v : [v]) head1 += `${k}: ${value}\r\n`;
      }
      backend.write(head1 + '\r\n');
      if (head.length) backend.write(head);
      backend.setNoDelay(true);
      (socket as net.Socket).setNoDelay?.(true);
      (socket as net.Socket).setTimeout?.(0);
      backend.pipe(socket);
      socket.pipe(backend);
      // Messages from the client are use of the server.
      socket.on('data', () => {
        route.lastActivity = Date.now();
      });
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
