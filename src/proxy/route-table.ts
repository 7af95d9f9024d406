/** One route: CHP's data kept verbatim, plus parsed target and activity time. */
export interface Route {
  path: string;
  target: string;
  targetUrl: URL;
  /** The posted data minus `target`, as the client sent it. */
  data: Record<string, unknown>;
  lastActivity: number;
  /** Cached JSON of target + data (without last_activity), rebuilt only when the route changes. */
  json: string;
}

/** Route keys: leading '/', no trailing '/', except the root '/'. */
export function normalizeRoutePath(path: string): string {
  let p = path.startsWith('/') ? path : `/${path}`;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/**
 * Longest-prefix matching on whole path segments. Lookups walk the request path's own prefixes from the
 * longest down, one Map probe each, so the cost depends on the path's depth, not on how many routes exist.
 */
export class RouteTable {
  private readonly routes = new Map<string, Route>();
  private isoCache = new WeakMap<Route, { at: number; iso: string }>();
  /** Bumped on every change, so persistence knows when to write. */
  version = 0;

  get size(): number {
    return this.routes.size;
  }

  set(path: string, target: string, data: Record<string, unknown>, lastActivity = Date.now()): Route {
    const key = normalizeRoutePath(path);
    const targetUrl = new URL(target);
    const json = JSON.stringify({ ...data, target }).slice(0, -1);
    const route: Route = { path: key, target, targetUrl, data, lastActivity, json };
    this.routes.set(key, route);
    this.version++;
    return route;
  }

  get(path: string): Route | undefined {
    return this.routes.get(normalizeRoutePath(path));
  }

  delete(path: string): boolean {
    const removed = this.routes.delete(normalizeRoutePath(path));
    if (removed) this.version++;
    return removed;
  }

  /** The route for a (decoded) request path. */
  match(path: string): Route | undefined {
    let candidate = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    for (;;) {
      const hit = this.routes.get(candidate);
      if (hit) return hit;
      if (candidate === '/' || candidate === '') return undefined;
      const cut = candidate.lastIndexOf('/');
      candidate = cut <= 0 ? '/' : candidate.slice(0, cut);
    }
  }

  touch(route: Route, now = Date.now()): void {
    route.lastActivity = now;
  }

  private iso(route: Route): string {
    const cached = this.isoCache.get(route);
    if (cached && cached.at === route.lastActivity) return cached.iso;
    const iso = new Date(route.lastActivity).toISOString();
    this.isoCache.set(route, { at: route.lastActivity, iso });
    return iso;
  }

  /** One route as the API shows it: data, target and last_activity. */
  entryJson(route: Route): string {
    return `${route.json},"last_activity":"${this.iso(route)}"}`;
  }

  /** The whole table as CHP's GET /api/routes answers it; optionally only routes idle since `before`. */
  toJson(inactiveSince?: number): string {
    const parts: string[] = [];
    for (const route of this.routes.values()) {
      if (inactiveSince !== undefined && !(route.lastActivity < inactiveSince)) continue;
      parts.push(`${JSON.stringify(route.path)}:${this.entryJson(route)}`);
    }
    return `{${parts.join(',')}}`;
  }

  entries(): IterableIterator<Route> {
    return this.routes.values();
  }
}
