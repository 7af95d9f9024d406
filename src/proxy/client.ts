import http from 'node:http';
import type { ProxyClient, ProxyRoute } from './types.ts';

interface Answer { status: number; text: string }

/**
 * Hub side of configurable-http-proxy's REST API. Routespecs ('/user/alice/') map to CHP keys
 * ('/user/alice') by dropping the trailing slash, and back.
 */
export class ChpApiClient implements ProxyClient {
  constructor(private readonly apiUrl: string, private readonly token: string, private readonly timeoutMs = 10_000) {}

  static keyFor(routespec: string): string {
    const trimmed = routespec !== '/' && routespec.endsWith('/') ? routespec.slice(0, -1) : routespec;
    // Quote like JupyterHub (safe: @ / ~), so odd characters survive the URL.
    return trimmed.split('/').map((s) => encodeURIComponent(s).replace(/%40/g, '@').replace(/%7E/gi, '~')).join('/');
  }

  static routespecFor(key: string): string {
    return key.endsWith('/') ? key : `${key}/`;
  }

  /**
   * node:http rather than fetch: the hub's first fetch loads and compiles Node's bundled undici (about 35 ms of a
   * cold start, which waits for the routes), and the proxy's API is plain HTTP on this machine. A connection per
   * call: one kept open could be closed by the proxy just as the next call goes out on it.
   */
  private call(method: string, path: string, body?: unknown): Promise<Answer> {
    const url = new URL(`${this.apiUrl.replace(/\/$/, '')}/api/routes${path}`);
    if (url.protocol !== 'http:') return Promise.reject(new Error(`proxy API ${url.origin}: only http:// is supported`));
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Authorization: `token ${this.token}` };
    if (payload !== undefined) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) });
    return new Promise<Answer>((resolve, reject) => {
      const req = http.request(url, { method, headers, agent: false, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('timeout', () => req.destroy(new Error(`proxy API ${method} ${path || '/'}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    }).then((res) => {
      if (res.status >= 400 && !(method === 'DELETE' && res.status === 404)) {
        throw new Error(`proxy API ${method} ${path || '/'} answered ${res.status}${res.text ? `: ${res.text.slice(0, 200)}` : ''}`);
      }
      return res;
    });
  }

  async addRoute(routespec: string, target: string, data: Record<string, unknown>): Promise<void> {
    const key = ChpApiClient.keyFor(routespec);
    await this.call('POST', key === '/' ? '/' : key, { ...data, target, jupyterhub: true });
  }

  async deleteRoute(routespec: string): Promise<void> {
    const key = ChpApiClient.keyFor(routespec);
    await this.call('DELETE', key === '/' ? '/' : key);
  }

  async getAllRoutes(): Promise<Map<string, ProxyRoute>> {
    const res = await this.call('GET', '');
    const all = JSON.parse(res.text) as Record<string, Record<string, unknown>>;
    const routes = new Map<string, ProxyRoute>();
    for (const [key, raw] of Object.entries(all)) {
      if (!raw || raw.jupyterhub !== true) continue; // never touch routes the hub did not add
      const { target, jupyterhub: _tag, ...data } = raw;
      const routespec = ChpApiClient.routespecFor(key);
      routes.set(routespec, { routespec, target: String(target), data });
    }
    return routes;
  }
}
