import http from 'node:http';
import https from 'node:https';

type Body = string | URLSearchParams | Uint8Array | null | undefined;
export interface FetchInit {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: Body;
  redirect?: string;
  signal?: AbortSignal | null;
}

/**
 * A fetch that trusts the given CA as well (Node 20's fetch cannot take one): for identity providers and ACME
 * servers signed by a campus or test CA. Redirects are not followed, as the OAuth and ACME libraries expect.
 */
export function fetchTrusting(ca: Buffer | undefined): (url: string | URL, init?: FetchInit) => Promise<Response> {
  if (!ca) return (url, init) => fetch(url, init as RequestInit);
  const agent = new https.Agent({ ca, keepAlive: false });
  return (url, init = {}) => new Promise<Response>((resolve, reject) => {
    const target = new URL(String(url));
    const headers: Record<string, string> = init.headers instanceof Headers ? Object.fromEntries(init.headers) : { ...(init.headers ?? {}) };
    const body = init.body === undefined || init.body === null ? undefined : init.body instanceof URLSearchParams ? init.body.toString() : init.body;
    if (init.body instanceof URLSearchParams && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
    }
    const lib = target.protocol === 'https:' ? https : http;
    const req = lib.request(target, { method: init.method ?? 'GET', headers, agent: target.protocol === 'https:' ? agent : undefined, signal: init.signal ?? undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (Array.isArray(v)) v.forEach((x) => out.append(k, x));
          else if (v !== undefined) out.set(k, v);
        }
        const status = res.statusCode ?? 500;
        const nullBody = status === 204 || status === 304 || (init.method ?? 'GET') === 'HEAD';
        const response = new Response(nullBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers: out });
        Object.defineProperty(response, 'url', { value: target.href });
        resolve(response);
      });
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${target.origin} within 30 s`)));
    req.end(body);
  });
}
