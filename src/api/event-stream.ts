import type { FastifyReply } from 'fastify';
import { JUPYTERHUB_VERSION } from './http.ts';

/** A server-sent event stream on a hijacked reply, as JupyterHub's progress and tljh-repo2docker's logs send. */
export interface EventStream {
  send(event: Record<string, unknown>): void;
  /** Bytes written but not yet taken by the client (to shed load for slow readers). */
  readonly buffered: number;
  end(): void;
  /** Runs `onClose` when the client goes away; keeps the connection alive with a comment meanwhile. */
  untilClosed(keepaliveMs: number, onClose: () => void): Promise<void>;
}

/** Streams open now: a hub shutting down ends them (browsers reconnect by themselves) instead of waiting on them. */
const open = new Set<import('node:http').ServerResponse>();

/** Ends every open event stream (at shutdown). */
export function endEventStreams(): void {
  for (const res of open) res.end();
  open.clear();
}

export function openEventStream(reply: FastifyReply): EventStream {
  reply.hijack();
  const res = reply.raw;
  open.add(res);
  res.once('close', () => open.delete(res));
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    'X-Accel-Buffering': 'no',
    'X-JupyterHub-Version': JUPYTERHUB_VERSION,
  });
  return {
    send: (event) => void res.write(`data: ${JSON.stringify(event)}\n\n`),
    get buffered() {
      return res.writableLength;
    },
    end: () => res.end(),
    untilClosed: (keepaliveMs, onClose) => new Promise<void>((resolve) => {
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), keepaliveMs);
      const finish = () => {
        clearInterval(keepalive);
        onClose();
        resolve();
      };
      res.once('close', finish);
    }),
  };
}
