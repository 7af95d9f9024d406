import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The hub's Prometheus metrics (prom-client), named as JupyterHub's where it has one: spawns and their durations,
 * running servers, users, builds, logins, API latency, proxy routes. Gauges that count rows are filled at scrape
 * time by `refresh`, so nothing is kept in step by hand.
 */
export class HubMetrics {
  readonly registry = new Registry();
  private readonly spawns = new Counter({ name: 'plasma_spawns_total', help: 'Server starts by outcome', labelNames: ['status'], registers: [this.registry] });
  private readonly spawnDuration = new Histogram({
    name: 'plasma_server_spawn_duration_seconds', help: 'Time from a start request to a ready (or failed) server',
    labelNames: ['status'], buckets: [0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300], registers: [this.registry],
  });
  private readonly stops = new Counter({ name: 'plasma_server_stops_total', help: 'Server stops by reason', labelNames: ['reason'], registers: [this.registry] });
  private readonly logins = new Counter({ name: 'plasma_logins_total', help: 'Sign-ins by authenticator and result', labelNames: ['authenticator', 'result'], registers: [this.registry] });
  /** Builds in the database by status (the hub keeps each environment's last 20). */
  readonly builds = new Gauge({ name: 'plasma_builds', help: 'Environment builds on record, by status', labelNames: ['status'], registers: [this.registry] });
  private readonly requests = new Histogram({
    name: 'plasma_request_duration_seconds', help: 'Hub HTTP requests (API and pages) by route pattern',
    labelNames: ['method', 'route', 'code'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry],
  });
  readonly runningServers = new Gauge({ name: 'plasma_running_servers', help: 'Servers running now', registers: [this.registry] });
  readonly users = new Gauge({ name: 'plasma_total_users', help: 'Users in the hub', registers: [this.registry] });
  readonly activeUsers = new Gauge({ name: 'plasma_active_users', help: 'Users active in the last period', labelNames: ['period'], registers: [this.registry] });
  readonly proxyRoutes = new Gauge({ name: 'plasma_routes', help: 'Routes the hub finds in the proxy', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'plasma_hub_' });
  }

  spawned(status: 'success' | 'failure', seconds: number): void {
    this.spawns.inc({ status });
    this.spawnDuration.observe({ status }, seconds);
  }

  stopped(reason: string): void {
    this.stops.inc({ reason });
  }

  login(authenticator: string, result: 'success' | 'failure' | 'error'): void {
    this.logins.inc({ authenticator, result });
  }

  request(method: string, route: string, code: number, seconds: number): void {
    this.requests.observe({ method, route, code: String(code) }, seconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
