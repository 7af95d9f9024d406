import net from 'node:net';
import tls from 'node:tls';
import { Http1Parser, type MessageHead } from './http1.ts';

/** What an upstream connection reports to the exchange using it. */
export interface UpstreamListener {
  onHead(head: MessageHead): boolean | void;
  onBody(chunk: Buffer): void;
  onComplete(): void;
  /** The connection failed or closed before the response completed. */
  onFailed(err: Error): void;
  /** Writes caused by one chunk of upstream data are corked together on this socket (the client's). */
  readonly clientSocket: net.Socket;
}

export interface Endpoint { key: string; host: string; port: number; secure: boolean }

/** A new connection to a backend (TLS for https/wss targets); used for pooled requests and for websockets. */
export function connectTo({ host, port, secure }: Endpoint): net.Socket {
  const socket = secure ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
  socket.setNoDelay(true);
  return socket;
}

/** One keep-alive connection to a backend; serves one exchange at a time. */
export class UpstreamConnection {
  readonly socket: net.Socket;
  private readonly parser: Http1Parser;
  listener: UpstreamListener | null = null;
  /** True once it has served a request: a failure may then just mean the backend closed it while idle. */
  reused = false;
  /** The backend may keep it open after the current response (llhttp's reading of its answer). */
  keepAlive = true;
  /** A 1xx answer (other than 101) is passing: the real response follows on the same connection. */
  private interim = false;

  constructor(readonly endpoint: Endpoint, private readonly pool: UpstreamPool) {
    this.socket = connectTo(endpoint);
    this.parser = new Http1Parser('response', {
      onHead: (head) => {
        if (head.status < 200 && head.status !== 101) {
          // 100 Continue and other interim answers: the proxy answers Expect itself, so these are dropped.
          this.interim = true;
          return false;
        }
        this.keepAlive = head.keepAlive;
        return this.listener?.onHead(head);
      },
      onBody: (chunk) => this.listener?.onBody(chunk),
      onComplete: () => {
        if (this.interim) {
          this.interim = false;
          return;
        }
        const listener = this.listener;
        this.listener = null;
        listener?.onComplete();
      },
    });
    this.socket.on('data', (data: Buffer) => {
      const listener = this.listener;
      if (!listener) return void this.socket.destroy(); // bytes nobody asked for: the connection is unusable
      const client = listener.clientSocket;
      client.cork();
      const result = this.parser.execute(data);
      client.uncork();
      if (typeof result !== 'number') this.socket.destroy(result);
    });
    this.socket.on('end', () => {
      // A body delimited by the connection closing ends here.
      if (this.listener) this.parser.finish();
      this.socket.destroy();
    });
    this.socket.on('timeout', () => this.socket.destroy(new Error('backend timed out')));
    this.socket.on('error', () => undefined); // reported through 'close'
    this.socket.on('close', () => {
      this.parser.close();
      this.pool.forget(this);
      const listener = this.listener;
      this.listener = null;
      listener?.onFailed(new Error('backend connection closed'));
    });
  }

  get usable(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }
}

/**
 * Keep-alive connections to backends, per origin. CHP opens a new backend connection per request, which is most
 * of its cost; here a connection goes back to its origin's idle list once its response has been read.
 */
export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  private readonly endpoints = new WeakMap<URL, Endpoint>();

  constructor(private readonly options: { keepAliveMs: number; maxIdlePerOrigin: number }) {}

  /** Where a target URL points, parsed once per URL object. */
  endpoint(url: URL): Endpoint {
    let e = this.endpoints.get(url);
    if (!e) {
      const secure = url.protocol === 'https:' || url.protocol === 'wss:';
      const port = Number(url.port || (secure ? 443 : 80));
      const host = url.hostname.replace(/^\[|\]$/g, '');
      e = { key: `${secure ? 's' : ''}${host}:${port}`, host, port, secure };
      this.endpoints.set(url, e);
    }
    return e;
  }

  /** An idle connection to the target's origin, or a new one. */
  acquire(target: URL, timeoutMs: number): UpstreamConnection {
    const endpoint = this.endpoint(target);
    const list = this.idle.get(endpoint.key);
    let conn: UpstreamConnection | undefined;
    while (list && list.length) {
      const candidate = list.pop()!;
      if (candidate.usable) {
        conn = candidate;
        break;
      }
    }
    conn ??= new UpstreamConnection(endpoint, this);
    conn.socket.setTimeout(timeoutMs);
    return conn;
  }

  /** Back to the idle list after a complete exchange; closed instead if the list is full. */
  release(conn: UpstreamConnection): void {
    if (!conn.usable || !conn.keepAlive) return void conn.socket.destroy();
    let list = this.idle.get(conn.endpoint.key);
    if (!list) this.idle.set(conn.endpoint.key, (list = []));
    if (list.length >= this.options.maxIdlePerOrigin) return void conn.socket.destroy();
    conn.reused = true;
    conn.socket.setTimeout(this.options.keepAliveMs);
    list.push(conn);
  }

  /** A closed connection leaves its idle list. */
  forget(conn: UpstreamConnection): void {
    const list = this.idle.get(conn.endpoint.key);
    if (!list) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.idle.delete(conn.endpoint.key);
  }

  close(): void {
    for (const list of this.idle.values()) for (const conn of [...list]) conn.socket.destroy();
    this.idle.clear();
  }
}
