/** The app's config the hub puts in its pages (<meta name="plasma-config">, HTML-escaped JSON), or null. */
export function appConfigOf(html: string): Record<string, any> | null {
  const m = /<meta name="plasma-config" content="([^"]*)">/.exec(html);
  if (!m) return null;
  const json = m[1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return JSON.parse(json);
}

/** The session's XSRF token, as the app reads it from its page. */
export function xsrfOf(html: string): string {
  const xsrf = appConfigOf(html)?.xsrf;
  if (typeof xsrf !== 'string') throw new Error('no XSRF token in the page');
  return xsrf;
}

/** A minimal browser: a cookie jar (name, path, value) and manual redirect following, as a user's browser would. */
export class Browser {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();
  readonly visited: Array<{ url: string; status: number }> = [];

  /** `fetcher` replaces fetch, e.g. to trust a test CA (Node 20's fetch takes none). */
  constructor(readonly origin: string, private readonly fetcher: (url: URL, init: RequestInit) => Promise<Response> = fetch) {}

  private cookieHeader(pathname: string): string {
    return [...this.cookies.values()].filter((c) => pathname.startsWith(c.path)).map((c) => `${c.name}=${c.value}`).join('; ');
  }

  private store(res: Response, pathname: string): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let cpath = pathname.replace(/[^/]*$/, '') || '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v] = a.trim().split('=');
        if (k.toLowerCase() === 'path') cpath = v;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      const key = `${name}\u0000${cpath}`;
      if (expired || value === '' || value === '""') this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path: cpath });
    }
  }

  cookie(name: string): string | undefined {
    return [...this.cookies.values()].find((c) => c.name === name)?.value;
  }

  /** Fetches, following redirects; returns the last response and its body. */
  async go(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    let target = new URL(url, this.origin);
    let method = init.method ?? (init.form ? 'POST' : 'GET');
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hop = 0; hop < 20; hop++) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      const cookie = this.cookieHeader(target.pathname);
      if (cookie) headers.Cookie = cookie;
      if (body) headers['Content-Type'] = 'application/x-www-form-urlencoded';
      const res = await this.fetcher(target, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(60_000) });
      this.store(res, target.pathname);
      this.visited.push({ url: target.pathname + target.search, status: res.status });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        target = new URL(location, target);
        if (res.status !== 307 && res.status !== 308) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      return { status: res.status, text: await res.text(), url: target.pathname + target.search, headers: res.headers };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Signs in through the hub's login form. */
  async login(username: string, password: string, hubPath = '/hub/') {
    const form = await this.go(`${hubPath}login`);
    const xsrf = /name="_xsrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
    return this.go(`${hubPath}login`, { form: { username, password, _xsrf: xsrf } });
  }

  /**
   * Opens one of the app's pages and makes the API call that page makes to show its content, as the app does: the
   * browser's cookie plus the page's XSRF token. Returns the page and the parsed answer.
   */
  async appView(pagePath: string, apiPath: string) {
    const page = await this.go(pagePath);
    const res = await this.go(apiPath, { headers: { 'X-XSRFToken': xsrfOf(page.text), Accept: 'application/json' } });
    return { page, status: res.status, data: res.text ? JSON.parse(res.text) : null };
  }
}
