import zlib from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function acceptsGzip(req: FastifyRequest): boolean {
  return /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
}

/** Sends a page gzipped when the browser takes it (pages are small: compressing each time is cheap). */
export function sendPage(req: FastifyRequest, reply: FastifyReply, body: string, type = 'text/html; charset=utf-8') {
  reply.type(type).header('Vary', 'Accept-Encoding');
  if (!acceptsGzip(req) || body.length < 1024) return reply.send(body);
  return reply.header('Content-Encoding', 'gzip').send(zlib.gzipSync(body, { level: 6 }));
}
