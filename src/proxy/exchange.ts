import { STATUS_CODES } from 'node:http';
import type net from 'node:net';
import type { ClientConnection } from './client-connection.ts';
import type { MessageHead } from './http1.ts';
import type { Route } from './route-table.ts';
import type { UpstreamConnection, UpstreamListener } from './upstream-pool.ts';

/** Headers that describe one hop, not the message; never forwarded. Framing headers are rewritten, not copied. */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'http2-settings', 'transfer-encoding']);
export const reason = (code: number) => STATUS_CODES[code] ?? 'Error';

/** One request and its response on a client connection. */
export interface Exchange {
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

/** Writes a body chunk as is, or as one chunk of a chunked body; false when the socket's buffer is full. */
export function writeFramed(socket: net.Socket, chunk: Buffer, chunked: boolean): boolean {
  if (!chunked) return socket.write(chunk);
  socket.write(`${chunk.length.toString(16)}\r\n`);
  socket.write(chunk);
  return socket.write('\r\n');
}

/**
 * Carries one backend answer to the client: rewrites the head, re-frames the body when needed, and hands the
 * backend connection back to the pool. A class rather than closures: one object per request, no closures to build.
 */
export class ResponseRelay implements UpstreamListener {
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
    if (!ex.requestDone && !head.keepAlive) {
      ex.bodyRefused = true;
      this.owner.stopWaitingForBackend();
    }
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
      owner.stopWaitingForBackend();
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
