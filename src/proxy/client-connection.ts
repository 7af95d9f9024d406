import type net from 'node:net';
import { closingAnswer, malformedRequestStatus } from './connections.ts';
import type { DataPlane } from './data-plane.ts';
import { reason, ResponseRelay, writeFramed, type Exchange } from './exchange.ts';
import { Http1Parser, type MessageHead } from './http1.ts';

/** One client connection: requests are served one at a time, in order (pipelined ones wait their turn). */
export class ClientConnection {
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
      up.once('drain', () => this.stopWaitingForBackend());
    }
  }

  /**
   * Reads the client again after a pause for a slow backend: once the backend caught up, or once it no longer
   * takes the body (it answered early, a 413 or 401, or its connection was closed under it). Without the second,
   * a client paused for a backend that went away stayed paused for good, its body unread and its answer never sent.
   */
  stopWaitingForBackend(): void {
    if (!this.pausedForBackend) return;
    this.pausedForBackend = false;
    if (!this.queue.length) this.socket.resume();
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
