/** The hub's view of a route, as JupyterHub's Proxy class models it. */
export interface ProxyRoute {
  /** '/user/alice/' style: leading and trailing slash. */
  routespec: string;
  target: string;
  /** Route data minus `target` and `jupyterhub`. */
  data: Record<string, unknown>;
}

/** The hub's side of configurable-http-proxy's REST API; works against `plasma proxy` and real CHP. */
export interface ProxyClient {
  addRoute(routespec: string, target: string, data: Record<string, unknown>): Promise<void>;
  deleteRoute(routespec: string): Promise<void>;
  /** Only hub-owned routes (tagged `jupyterhub: true`), keyed by routespec. */
  getAllRoutes(): Promise<Map<string, ProxyRoute>>;
}
