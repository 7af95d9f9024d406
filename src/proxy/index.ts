import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { createLogger, type Logger } from '../log/index.ts';
import { listenOn, type ListeningHandle } from '../system/handover.ts';
import { DataPlane } from './data-plane.ts';
import { selfCheck } from './http1.ts';
import { idleCollector } from '../system/idle-gc.ts';
import { RouteTable } from './route-table.ts';
import { createRoutesApiServer } from './routes-api.ts';
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
  /** ACME HTTP-01: the answer for a token, served on the plain-HTTP port at /.well-known/acme-challenge/<token>. */
  challenge?(token: string): string | null;
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
  /** Listening sockets handed over by the proxy this one replaces (see handover.ts), used instead of binding ports. */
  inherit?: { public: ListeningHandle; api: ListeningHandle; redirect?: ListeningHandle };
}

/** The proxy's listening sockets, as one process hands them to the next. */
export interface InheritedListeners {
  public: net.Server;
  api: net.Server;
  redirect?: net.Server;
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
  /** The listening sockets, to hand to a process that takes over. */
  listeners(): InheritedListeners;
  /**
   * After a handover: stop listening and stop saving routes (the new process owns both now), then let the
   * connections left finish. Resolves when the last one has closed.
   */
  retire(): Promise<void>;
  close(): Promise<void>;
}

/** Binds the port, or takes the connections of a socket handed over by the previous process. */
async function listen(server: net.Server, port: number, host: string, inherited?: ListeningHandle): Promise<number> {
  if (inherited) {
    await listenOn(server, inherited);
    return (server.address() as AddressInfo).port;
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
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
  selfCheck();
  const collector = idleCollector();
  const headersTimeoutMs = options.headersTimeoutMs ?? 20_000;
  const plane = new DataPlane({
    table, log, errorTarget: options.errorTarget, scheme: tlsOn ? 'https' : 'http', proxyTimeoutMs: options.proxyTimeoutMs ?? 0,
    customHeaders: options.customHeaders ?? [], headersTimeoutMs, keepAliveTimeoutMs: 65_000,
    clientTimeoutMs: options.clientTimeoutMs ?? 600_000, onTraffic: collector.busy,
  });
  const readTls = () => ({ key: fs.readFileSync(options.sslKey!), cert: fs.readFileSync(options.sslCert!) });
  // The public listener hands raw (or TLS) sockets to the data plane, which speaks HTTP/1.1 itself.
  const pub: net.Server = tlsOn
    ? tls.createServer({ ...readTls(), handshakeTimeout: headersTimeoutMs }, plane.serve).on('tlsClientError', (_err, socket) => socket.destroy())
    : net.createServer(plane.serve);

  // The routes API on its own lean HTTP/1.1 server (routes-api.ts): the hub adds thousands of routes at a time.
  const api = createRoutesApiServer({
    table, token: options.authToken, log, onChange: () => store?.changed(), onRequest: collector.busy, headersTimeoutMs: 10_000,
    metrics: () => plane.counters.text(table.size),
  });

  let redirect: http.Server | undefined;
  const port = await listen(pub, options.port, options.ip, options.inherit?.public);
  const apiPort = await listen(api, options.apiPort, options.apiIp, options.inherit?.api);
  let redirectPort: number | undefined;
  if (tlsOn && options.redirectPort !== undefined) {
    redirect = http.createServer((req, res) => {
      const challenge = /^\/\.well-known\/acme-challenge\/([^/?#]+)$/.exec(req.url ?? '');
      if (challenge && options.challenge) {
        const answer = options.challenge(challenge[1]);
        res.writeHead(answer === null ? 404 : 200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(answer ?? '') });
        return void res.end(answer ?? '');
      }
      const host = (req.headers.host ?? options.ip).replace(/:\d+$/, '');
      const location = `https://${host}${port === 443 ? '' : `:${port}`}${req.url ?? '/'}`;
      res.writeHead(301, { Location: location, 'Content-Length': 0 });
      res.end();
    });
    redirectPort = await listen(redirect, options.redirectPort, options.ip, options.inherit?.redirect);
  }

  const reloadCertificates = () => {
    if (!tlsOn) return;
    try {
      (pub as tls.Server).setSecureContext(readTls());
      log.info('certificates reloaded');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'certificate reload failed; keeping the old ones');
    }
  };
  if (tlsOn) {
    // Renewals (e.g. by certbot) are picked up without a restart and without dropping connections.
    fs.watchFile(options.sslCert!, { interval: 2000 }, reloadCertificates);
  }
  log.info({ port, apiPort, tls: tlsOn, routes: table.size, inherited: Boolean(options.inherit) }, 'proxy listening');

  const stopListening = (server: net.Server | undefined) => new Promise<void>((r) => (server?.listening ? server.close(() => r()) : r()));
  const listening = { public: pub, api, redirect };
  return {
    port, publicPort: port, apiPort, redirectPort, table, reloadCertificates,
    listeners: () => listening,
    retire: async () => {
      if (tlsOn) fs.unwatchFile(options.sslCert!);
      await store?.close();
      // close() stops accepting at once; its callback waits for the server's connections, so it is not awaited.
      for (const server of [pub, api, redirect]) void stopListening(server);
      // The hub's API connections move to the new process at once: it reconnects on its next call.
      api.closeAllConnections();
      redirect?.closeAllConnections();
      await plane.drain();
      collector.stop();
      plane.close();
    },
    close: async () => {
      if (tlsOn) fs.unwatchFile(options.sslCert!);
      collector.stop();
      await store?.close();
      const closed = [pub, api, redirect].filter((s) => s?.listening).map((s) => new Promise<void>((r) => s!.close(() => r())));
      plane.close();
      api.closeAllConnections();
      redirect?.closeAllConnections();
      await Promise.all(closed);
    },
  };
}

export { RouteTable } from './route-table.ts';
export { ChpApiClient } from './client.ts';
export type { ProxyClient, ProxyRoute } from './types.ts';
