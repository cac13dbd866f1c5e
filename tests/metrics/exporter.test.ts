import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { startMetricsExporter, type MetricsExporter } from '../../src/metrics/exporter.js';

let exporter: MetricsExporter | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  await exporter?.close();
  exporter = undefined;
  await new Promise((done) => (blocker ? blocker.close(done) : done(undefined)));
  blocker = undefined;
});

describe('the metrics exporter of the long-running commands', () => {
  it('is not started without METRICS_PORT', async () => {
    expect(await startMetricsExporter({ metricsPort: undefined, metricsHost: '127.0.0.1' })).toBeUndefined();
  });

  it('with METRICS_PORT, serves the metrics it is given to record', async () => {
    exporter = await startMetricsExporter({ metricsPort: 0, metricsHost: '127.0.0.1' });
    if (!exporter) throw new Error('no exporter');
    exporter.metrics.messageOutcome('sent');
    const text = await (await fetch(exporter.url)).text();
    expect(text).toMatch(/^digest_messages_total\{outcome="sent"\} 1$/m);
  });

  it('a port already in use is a ConfigError naming METRICS_PORT', async () => {
    blocker = createServer();
    await new Promise<void>((listening) => blocker?.listen(0, '127.0.0.1', listening));
    const { port } = blocker.address() as AddressInfo;
    const error = await startMetricsExporter({ metricsPort: port, metricsHost: '127.0.0.1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('PORT_IN_USE');
    expect((error as ConfigError).message).toContain(`METRICS_PORT ${port} is already in use`);
  });
});
