import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../log/index.ts';
import { DataPlane } from './data-plane.ts';
import { idleCollector } from './idle-gc.ts';
import { RouteTable } from './route-table.ts';
import { createRoutesApiHandler } from './routes-api.ts';
import { RouteStore } from './store.ts';

export interface ProxyOptions {
  ip: string;
  port: number;
  apiIp: string;
  apiPort: number;
  /** Null leaves the API open (CHP's behaviour without a token); Plasma always sets one. */
  authToken: string | null;
  defaultTarget?: string;
  errorTarget?: string;
  sslKey?: string;
  sslCert?: string;
  /** With TLS: a plain-HTTP port that redirects to HTTPS. */
  redirectPort?: number;
  /** Where routes persist across restarts; none = memory only. */
  routesFile?: string;
  /** Idle timeout of client connections (ms). */
  clientTimeoutMs?: number;
  /** Time a client has to send its request headers (ms): stops slowloris-style clients. */
  headersTimeoutMs?: number;
  /** Idle timeout of backend connections (ms). */
  proxyTimeoutMs?: number;
  /** CHP's --custom-header: added to every proxied request. */
  customHeaders?: [string, string][];
  logger?: Logger;
}

export interface RunningProxy {
  port: number;
  /** Same as `port`: the public listener's port. */
  publicPort: number;
  apiPort: number;
  redirectPort?: number;
  table: RouteTable;
  /** Re-reads the certificate files; new connections use them, open ones continue. */
  reloadCertificates(): void;
  close(): Promise<void>;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * A client must finish its request headers within `ms` of connecting (or of its previous response),
 * however slowly it trickles bytes: slowloris-style clients cannot hold connections open.
 * (Node 20's own headersTimeout did not cut such sockets in our tests.)
 */
function guardHeaderTime(server: http.Server, ms: number): void {
  const timers = new WeakMap<object, NodeJS.Timeout>();
  const arm = (socket: import('node:net').Socket) => {
    clearTimeout(timers.get(socket));
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    timers.set(socket, timer);
  };
  const disarm = (socket: object) => clearTimeout(timers.get(socket));
  server.on('connection', (socket) => {
    arm(socket);
    socket.once('close', () => disarm(socket));
  });
  server.on('request', (req, res) => {
    // Captured now: req.socket is null once the response has let go of it.
    const socket = req.socket;
    disarm(socket);
    res.once('finish', () => { if (!socket.destroyed) arm(socket); });
  });
  server.on('upgrade', (req) => disarm(req.socket));
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const log = options.logger ?? createLogger('plasma-proxy');
  const table = new RouteTable();
  const store = options.routesFile ? new RouteStore(options.routesFile, table, log) : null;
  const restored = store?.load() ?? 0;
  if (restored) log.info({ routes: restored, file: options.routesFile }, 'routes restored');
  // --default-target installs a '/' route; a restored '/' to the same place keeps its data (e.g. the hub's tags).
  if (options.defaultTarget && table.get('/')?.target !== options.defaultTarget) table.set('/', options.defaultTarget, {});

  const tlsOn = Boolean(options.sslKey && options.sslCert);
  const plane = new DataPlane({ table, log, errorTarget: options.errorTarget, scheme: tlsOn ? 'https' : 'http', proxyTimeoutMs: options.proxyTimeoutMs ?? 0, customHeaders: options.customHeaders ?? [] });
  const readTls = () => ({ key: fs.readFileSync(options.sslKey!), cert: fs.readFileSync(options.sslCert!) });
  const serverOptions: http.ServerOptions = {
    keepAliveTimeout: 65_000,
    headersTimeout: options.headersTimeoutMs ?? 20_000,
    // Whole-request limit off: notebook uploads can be slow; idle sockets are cut by `timeout` below.
    requestTimeout: 0,
    connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs ?? 1000),
  };
  const pub = tlsOn ? https.createServer({ ...serverOptions, ...readTls() }) : http.createServer(serverOptions);
  pub.timeout = options.clientTimeoutMs ?? 600_000;
  guardHeaderTime(pub, options.headersTimeoutMs ?? 20_000);
  const collector = idleCollector();
  pub.on('request', collector.busy);
  pub.on('upgrade', collector.busy);
  pub.on('request', plane.handleRequest);
  pub.on('upgrade', plane.handleUpgrade);
  pub.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const api = http.createServer(createRoutesApiHandler({ table, token: options.authToken, log, onChange: () => store?.changed() }));
  api.headersTimeout = 10_000;

  let redirect: http.Server | undefined;
  const port = await listen(pub, options.port, options.ip);
  const apiPort = await listen(api, options.apiPort, options.apiIp);
  let redirectPort: number | undefined;
  if (tlsOn && options.redirectPort !== undefined) {
    redirect = http.createServer((req, res) => {
      const host = (req.headers.host ?? options.ip).replace(/:\d+$/, '');
      const location = `https://${host}${port === 443 ? '' : `:${port}`}${req.url ?? '/'}`;
      res.writeHead(301, { Location: location, 'Content-Length': 0 });
      res.end();
    });
    redirectPort = await listen(redirect, options.redirectPort, options.ip);
  }

  const reloadCertificates = () => {
    if (!tlsOn) return;
    try {
      (pub as https.Server).setSecureContext(readTls());
      log.info('certificates reloaded');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'certificate reload failed; keeping the old ones');
    }
  };
  if (tlsOn) {
    // Renewals (e.g. by certbot) are picked up without a restart and without dropping connections.
    fs.watchFile(options.sslCert!, { interval: 2000 }, reloadCertificates);
  }
  log.info({ port, apiPort, tls: tlsOn, routes: table.size }, 'proxy listening');

  return {
    port, publicPort: port, apiPort, redirectPort, table, reloadCertificates,
    close: async () => {
      if (tlsOn) fs.unwatchFile(options.sslCert!);
      collector.stop();
      await store?.close();
      await Promise.all([pub, api, redirect].filter(Boolean).map((s) => new Promise<void>((r) => {
        s!.close(() => r());
        s!.closeAllConnections();
      })));
      plane.close();
    },
  };
}

export { RouteTable } from './route-table.ts';
export { ChpApiClient } from './client.ts';
export type { ProxyClient, ProxyRoute } from './types.ts';
