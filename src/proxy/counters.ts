/**
 * The proxy's own counters, as plain numbers (a request costs a few additions, no label lookups), written out in
 * Prometheus' text format by the routes API's GET /metrics; the hub's /hub/metrics includes them.
 */
export class ProxyCounters {
  /** Answers by status class: 1xx … 5xx (the proxy's own error pages included). */
  readonly responses = [0, 0, 0, 0, 0, 0];
  requests = 0;
  bytesReceived = 0;
  bytesSent = 0;
  websocketsOpened = 0;
  websocketsOpen = 0;
  connectionsOpened = 0;

  answered(status: number): void {
    const cls = Math.floor(status / 100);
    this.responses[cls >= 1 && cls <= 5 ? cls : 0]++;
  }

  text(routes: number): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[string, number]>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric('plasma_proxy_requests_total', 'counter', 'HTTP requests the proxy received (websocket upgrades included)', [['', this.requests]]);
    metric('plasma_proxy_responses_total', 'counter', 'HTTP answers by status class', [1, 2, 3, 4, 5].map((c) => [`{code="${c}xx"}`, this.responses[c]]));
    metric('plasma_proxy_received_bytes_total', 'counter', 'Bytes received from clients', [['', this.bytesReceived]]);
    metric('plasma_proxy_sent_bytes_total', 'counter', 'Bytes of backend answers and websocket messages sent to clients', [['', this.bytesSent]]);
    metric('plasma_proxy_connections_total', 'counter', 'Client connections accepted', [['', this.connectionsOpened]]);
    metric('plasma_proxy_websockets_total', 'counter', 'Websockets relayed', [['', this.websocketsOpened]]);
    metric('plasma_proxy_websockets_open', 'gauge', 'Websockets open now', [['', this.websocketsOpen]]);
    metric('plasma_proxy_routes', 'gauge', 'Routes in the table', [['', routes]]);
    return `${lines.join('\n')}\n`;
  }
}
