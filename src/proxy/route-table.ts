/** One route: CHP's data kept verbatim, plus parsed target and activity time. */
export interface Route {
  path: string;
  target: string;
  targetUrl: URL;
  /** The posted data minus `target`, as the client sent it. */
  data: Record<string, unknown>;
  lastActivity: number;
  /**
   * Cached JSON of data + target (without last_activity and the closing brace); '' until first needed, so adding a
   * route does no serialising: a route is replaced, never edited, so the cache never goes stale.
   */
  json: string;
  /** `"<path>":` + json: the route's entry in the listing up to its activity ('' until first needed). */
  listingPrefix: string;
  /** The route's entry in the routes file up to its activity, made and cached by the RouteStore ('' until then). */
  savedPrefix: string;
  /** The whole listing entry as UTF-8 bytes, and the activity time it was made for. */
  entryBytes: Buffer;
  entryBytesAt: number;
  /** last_activity as ISO text, and the time it was made from (so it is formatted only when it changes). */
  iso: string;
  isoAt: number;
}

const EMPTY = Buffer.alloc(0);

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
  /** Bumped on every change, so persistence knows when to write. */
  version = 0;
  /** Bumped whenever traffic moves a route's last_activity. */
  activityVersion = 0;
  /** The whole listing as bytes, valid while neither version moved (GET /api/routes at 10k routes is 1.5 MB). */
  private listing: { version: number; activityVersion: number; body: Buffer } | null = null;

  get size(): number {
    return this.routes.size;
  }

  set(path: string, target: string, data: Record<string, unknown>, lastActivity = Date.now(), targetUrl = new URL(target)): Route {
    const key = normalizeRoutePath(path);
    const route: Route = { path: key, target, targetUrl, data, lastActivity, json: '', listingPrefix: '', savedPrefix: '',
      entryBytes: EMPTY, entryBytesAt: NaN, iso: '', isoAt: NaN };
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

  /** Traffic on a route: cheap, called on the hot path. */
  touch(route: Route, now = Date.now()): void {
    if (route.lastActivity === now) return;
    route.lastActivity = now;
    this.activityVersion++;
  }

  private iso(route: Route): string {
    if (route.isoAt !== route.lastActivity) {
      route.iso = new Date(route.lastActivity).toISOString();
      route.isoAt = route.lastActivity;
    }
    return route.iso;
  }

  /** data + target as JSON without the closing brace. */
  private json(route: Route): string {
    if (route.json === '') route.json = JSON.stringify({ ...route.data, target: route.target }).slice(0, -1);
    return route.json;
  }

  private listingPrefix(route: Route): string {
    if (route.listingPrefix === '') route.listingPrefix = `${JSON.stringify(route.path)}:${this.json(route)}`;
    return route.listingPrefix;
  }

  /** One route as the API shows it: data, target and last_activity. */
  entryJson(route: Route): string {
    return `${this.json(route)},"last_activity":"${this.iso(route)}"}`;
  }

  /** The whole table as CHP's GET /api/routes answers it; optionally only routes idle since `before`. */
  toJson(inactiveSince?: number): string {
    if (inactiveSince === undefined) return this.listingBody().toString('utf8');
    return this.serialize((route) => route.lastActivity < inactiveSince);
  }

  /** The unfiltered listing, rebuilt only after a change or new activity. */
  listingBody(): Buffer {
    const cached = this.listing;
    if (cached && cached.version === this.version && cached.activityVersion === this.activityVersion) return cached.body;
    const body = this.serializeBytes();
    this.listing = { version: this.version, activityVersion: this.activityVersion, body };
    return body;
  }

  /** Copies each route's cached bytes into one buffer: no string building for the common unfiltered case. */
  private serializeBytes(): Buffer {
    let size = 2;
    for (const route of this.routes.values()) size += this.entryBytes(route).length + 1;
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    out[at++] = 0x7b; // {
    for (const route of this.routes.values()) {
      if (at > 1) out[at++] = 0x2c; // ,
      at += route.entryBytes.copy(out, at);
    }
    out[at++] = 0x7d; // }
    return out.subarray(0, at);
  }

  /** The route's listing entry as bytes, remade only when its activity moved. */
  private entryBytes(route: Route): Buffer {
    if (route.entryBytesAt !== route.lastActivity) {
      route.entryBytes = Buffer.from(`${this.listingPrefix(route)},"last_activity":"${this.iso(route)}"}`, 'utf8');
      route.entryBytesAt = route.lastActivity;
    }
    return route.entryBytes;
  }

  private serialize(keep?: (route: Route) => boolean): string {
    let out = '{';
    let first = true;
    for (const route of this.routes.values()) {
      if (keep && !keep(route)) continue;
      out += `${first ? '' : ','}${this.listingPrefix(route)},"last_activity":"${this.iso(route)}"}`;
      first = false;
    }
    return `${out}}`;
  }

  entries(): IterableIterator<Route> {
    return this.routes.values();
  }
}
