import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Metrics } from './metrics.js';

/**
 * The metrics port in Prometheus form, on a registry of its own (prom-client's global one would
 * leak between tests and between apps in one process).
 */
export function prometheusMetrics(): { metrics: Metrics; registry: Registry } {
  const registry = new Registry();
  const registers = [registry];
  const messages = new Counter({ name: 'digest_messages_total', help: 'Messages handled, by outcome', labelNames: ['outcome'], registers });
  const duration = new Histogram({ name: 'digest_send_duration_seconds', help: 'Time to send one message, through the server reply', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120], registers });
  const queue = new Gauge({ name: 'digest_queue_depth', help: 'Deliveries of the current edition still to do (pending and deferred)', registers });
  const smtpErrors = new Counter({ name: 'digest_smtp_errors_total', help: 'SMTP errors, by class (4xx, 5xx, no-reply, uncertain)', labelNames: ['class'], registers });
  const ticks = new Counter({ name: 'digest_scheduler_ticks_total', help: 'Scheduler ticks, by cadence and outcome', labelNames: ['cadence', 'outcome'], registers });
  const requests = new Counter({ name: 'digest_http_requests_total', help: 'HTTP requests, by method, route and status', labelNames: ['method', 'route', 'status'], registers });
  const requestSeconds = new Histogram({ name: 'digest_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'], buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers });
  const metrics: Metrics = {
    messageOutcome: (outcome) => messages.inc({ outcome }),
    sendDuration: (seconds) => duration.observe(seconds),
    queueDepth: (deliveries) => queue.set(deliveries),
    smtpError: (errorClass) => smtpErrors.inc({ class: errorClass }),
    schedulerTick: (cadence, outcome) => ticks.inc({ cadence, outcome }),
    httpRequest: (method, route, status, seconds) => {
      requests.inc({ method, route, status: String(status) });
      requestSeconds.observe({ method, route }, seconds);
    },
  };
  return { metrics, registry };
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** GET /metrics on its own listener (METRICS_HOST, loopback by default): never on the public port. */
export function startMetricsServer(registry: Registry, port: number, host: string): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({ url: `http://${shown}:${bound}/metrics`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}
