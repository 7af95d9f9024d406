import type { ProxyClient, ProxyRoute } from './types.ts';

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

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${this.apiUrl.replace(/\/$/, '')}/api/routes${path}`, {
      method,
      headers: { Authorization: `token ${this.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status >= 400 && !(method === 'DELETE' && res.status === 404)) {
      const text = await res.text().catch(() => '');
      throw new Error(`proxy API ${method} ${path || '/'} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
    }
    return res;
  }

  async addRoute(routespec: string, target: string, data: Record<string, unknown>): Promise<void> {
    const key = ChpApiClient.keyFor(routespec);
    const res = await this.call('POST', key === '/' ? '/' : key, { ...data, target, jupyterhub: true });
    await res.arrayBuffer();
  }

  async deleteRoute(routespec: string): Promise<void> {
    const key = ChpApiClient.keyFor(routespec);
    const res = await this.call('DELETE', key === '/' ? '/' : key);
    await res.arrayBuffer();
  }

  async getAllRoutes(): Promise<Map<string, ProxyRoute>> {
    const res = await this.call('GET', '');
    const all = (await res.json()) as Record<string, Record<string, unknown>>;
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
