import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Metrics } from './metrics.js';

export interface MetricsExporter {
  metrics: Metrics;
  url: string;
  close(): Promise<void>;
}

/**
 * For the long-running commands (start, schedule, serve): with METRICS_PORT set, Prometheus metrics
 * on their own listener at METRICS_HOST (127.0.0.1 unless changed); unset, none.
 */
export async function startMetricsExporter(config: Pick<Config, 'metricsPort' | 'metricsHost'>): Promise<MetricsExporter | undefined> {
  if (config.metricsPort === undefined) return undefined;
  // prom-client takes 60–100 ms to import: a process without METRICS_PORT (every `digest worker`
  // by default) does not pay for it.
  const { prometheusMetrics, startMetricsServer } = await import('./prometheus.js');
  const { metrics, registry } = prometheusMetrics();
  try {
    const server = await startMetricsServer(registry, config.metricsPort, config.metricsHost);
    return { metrics, url: server.url, close: server.close };
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new ConfigError('PORT_IN_USE', `METRICS_PORT ${config.metricsPort} is already in use by another program; set METRICS_PORT to a free port.`, { cause });
    throw new ConfigError('METRICS_LISTEN', `The metrics listener cannot listen on ${config.metricsHost}:${config.metricsPort} (${code ?? String(cause)}): check METRICS_HOST and METRICS_PORT.`, { cause });
  }
}
