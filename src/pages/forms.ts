import type { FastifyRequest } from 'fastify';
import { rawBody } from '../api/http.ts';

/** An HTML form's fields (application/x-www-form-urlencoded). */
export function form(req: FastifyRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(rawBody(req)?.toString('utf8') ?? ''));
}
