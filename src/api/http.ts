import type { FastifyReply, FastifyRequest } from 'fastify';

export const JUPYTERHUB_VERSION = '3.0.0';

/** An error the API reports as JupyterHub does: `{"status": N, "message": "…"}`. */
export class ApiError extends Error {
  /** `extra` is added to the error body, e.g. {field: 'repo'}. */
  constructor(readonly status: number, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message = 'Not Found') => new ApiError(404, message);

/** The raw request body (every content type is kept as a Buffer; handlers decide how to read it). */
export function rawBody(req: FastifyRequest): Buffer | null {
  const body = req.body as Buffer | undefined | null;
  return body && body.length ? body : null;
}

/** JSON body or `undefined` when empty; malformed JSON is JupyterHub's 400. */
export function jsonBody(req: FastifyRequest): unknown {
  const body = rawBody(req);
  if (!body) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('Invalid JSON in body of request');
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON object body (or {} when empty). */
export function objectBody(req: FastifyRequest, what = 'body'): Record<string, unknown> {
  const body = jsonBody(req);
  if (body === undefined) return {};
  if (!isPlainObject(body)) throw badRequest(`${what} must be a JSON object`);
  return body;
}

export function rejectUnknownKeys(body: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) throw badRequest(`Invalid JSON keys: {${unknown.map((k) => `'${k}'`).join(', ')}}`);
}

export function sendError(reply: FastifyReply, status: number, message: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).type('application/json').send(JSON.stringify({ status, message, ...extra }));
}

export interface Page {
  offset: number;
  limit: number;
  paginated: boolean;
}

const MAX_LIMIT = 200;

/** JupyterHub's offset/limit rules: limit ≤ 0 → 1, > 200 → 200; non-integers → 400. */
export function pageOf(req: FastifyRequest): Page {
  const q = req.query as Record<string, string | undefined>;
  const paginated = String(req.headers.accept ?? '').includes('application/jupyterhub-pagination+json');
  const int = (name: string, fallback: number) => {
    const raw = q[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^-?\d+$/.test(raw)) throw badRequest(`${name} must be an integer, not ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  const offset = Math.max(0, int('offset', 0));
  let limit = int('limit', paginated ? 50 : MAX_LIMIT);
  if (limit <= 0) limit = 1;
  if (limit > MAX_LIMIT) limit = MAX_LIMIT;
  return { offset, limit, paginated };
}

/**
 * A page as JupyterHub answers it: a bare list, or `{items, _pagination}` when the client asked for that
 * (then `total` is the count of every matching row, the page being `items`).
 */
export function pageResponse(req: FastifyRequest, page: Page, items: unknown[], total: number | null): unknown {
  if (!page.paginated) return items;
  const count = total ?? items.length;
  let next: unknown = null;
  if (page.offset + page.limit < count) {
    const host = req.headers.host ?? '127.0.0.1';
    const proto = String(req.headers['x-forwarded-proto'] ?? req.protocol).split(',')[0].trim();
    const url = new URL(req.url, `${proto}://${host}`);
    url.searchParams.delete('offset');
    url.searchParams.delete('limit');
    url.searchParams.append('limit', String(page.limit));
    url.searchParams.append('offset', String(page.offset + page.limit));
    next = { offset: page.offset + page.limit, limit: page.limit, url: url.toString() };
  }
  return { items, _pagination: { offset: page.offset, limit: page.limit, total: count, next } };
}
