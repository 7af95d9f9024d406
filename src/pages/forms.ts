import type { FastifyRequest } from 'fastify';
import { rawBody } from '../api/http.ts';

export function isSecure(req: FastifyRequest): boolean {
  return String(req.headers['x-forwarded-proto'] ?? req.protocol).split(',')[0].trim() === 'https';
}

/** `next` may only be a path on this site: no scheme, no host, no '//' or backslash tricks. */
export function safeNext(next: unknown, fallback: string): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return fallback;
  if (/[\x00-\x1f]/.test(next)) return fallback;
  return next;
}

/** An HTML form's fields (application/x-www-form-urlencoded). */
export function form(req: FastifyRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(rawBody(req)?.toString('utf8') ?? ''));
}
