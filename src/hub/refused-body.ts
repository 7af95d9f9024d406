import type { FastifyReply, FastifyRequest } from 'fastify';

/** How much of a refused body is read and dropped so that its answer arrives (beyond: the connection is cut). */
const DISCARD_LIMIT = 64 * 1024 * 1024;
const DISCARD_MS = 30_000;

/**
 * A body the hub refuses unread (413) is answered with `Connection: close`. node:http then ends the connection as
 * soon as the answer is written, and closing a socket with unread data makes the kernel reset it: a client (or
 * the proxy) still sending the body may lose the answer to that reset and see a dead backend, not the 413.
 *
 * The answer keeps `Connection: close`, so no keep-alive client sends its next request on this connection (an
 * answer that looked persistent had Node's agent reuse a connection that was about to close). Instead of closing
 * at once, the hub half-closes it (the answer and a FIN go out) and reads and drops the rest of the body; the
 * connection closes when the body has ended, or beyond DISCARD_LIMIT bytes or DISCARD_MS, whichever comes first.
 */
export function lingerOnRefusedBody(req: FastifyRequest, reply: FastifyReply): void {
  if (reply.getHeader('connection') !== 'close' || req.raw.complete) return;
  const body = req.raw;
  const socket = body.socket;
  let dropped = 0;
  const cut = (): void => {
    socket.destroy();
  };
  const timer = setTimeout(cut, DISCARD_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  body.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DISCARD_LIMIT) cut();
  });
  body.resume();

  const destroySoon = socket.destroySoon.bind(socket);
  // node:http calls destroySoon once the answer is written to a connection that is not kept alive.
  socket.destroySoon = () => {
    if (body.complete) return destroySoon();
    socket.end();
    body.once('end', destroySoon);
  };
}
