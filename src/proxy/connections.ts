import { STATUS_CODES } from 'node:http';
import type net from 'node:net';

/** The status node:http gives a request llhttp rejects: 431 for oversized headers, 413 for chunk extensions, else 400. */
export function malformedRequestStatus(err: { code?: string }): number {
  return err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
}

/** A whole answer without a body, after which the connection closes. */
export function closingAnswer(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

/**
 * A server's open connections, and one sweep that cuts those past their deadline: cheaper than a timer per request,
 * and a deadline a second late does not matter for header or keep-alive timeouts.
 */
export class ConnectionSweep<C extends { readonly socket: net.Socket }> {
  private readonly open = new Set<C>();
  private readonly timer: NodeJS.Timeout;

  /** `expired(conn, now)` says whether a connection is past its deadline. */
  constructor(intervalMs: number, expired: (conn: C, now: number) => boolean) {
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const conn of this.open) if (expired(conn, now)) conn.socket.destroy();
    }, intervalMs);
    this.timer.unref();
  }

  private whenEmpty: (() => void) | null = null;

  /** Tracks a connection until its socket closes. */
  add(conn: C, onClose?: () => void): void {
    this.open.add(conn);
    conn.socket.once('close', () => {
      this.open.delete(conn);
      onClose?.();
      if (this.open.size === 0) this.whenEmpty?.();
    });
  }

  get size(): number {
    return this.open.size;
  }

  /** Resolves once no connection is left (at once if there is none). */
  empty(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.whenEmpty;
      this.whenEmpty = () => {
        previous?.();
        resolve();
      };
    });
  }

  forEach(fn: (conn: C) => void): void {
    for (const conn of this.open) fn(conn);
  }

  /** Drops every connection, idle or not. */
  destroyAll(): void {
    for (const conn of this.open) conn.socket.destroy();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
