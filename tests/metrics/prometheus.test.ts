import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prometheusMetrics, startMetricsServer, type MetricsServer } from '../../src/metrics/prometheus.js';
import { runSend } from '../../src/pipeline.js';
import { runTick } from '../../src/schedule/tick.js';
import { startWebServer } from '../../src/web/server.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

/**
 * Real parts end to end: a send through a real SMTP server that accepts one reader, defers one and
 * refuses one; a scheduler tick; a web request; then what Prometheus would scrape from the listener.
 */
let smtp: TestSmtpServer;
let ws: Workspace;
let server: MetricsServer | undefined;

beforeEach(async () => {
  smtp = await startSmtpServer({
    onRcpt: (address) => (address.startsWith('later') ? { code: 451, message: '4.7.1 Try again later' } : address.startsWith('gone') ? { code: 550, message: '5.1.1 No such user' } : undefined),
  });
  ws = createWorkspace({ SMTP_URL: smtp.url, SMTP_RETRY_ATTEMPTS: '1' });
});
afterEach(async () => {
  await server?.close();
  await smtp.close();
  ws.cleanup();
});

const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);

describe('Prometheus metrics', () => {
  it('count messages by outcome, SMTP errors by class, send durations, queue depth, ticks and HTTP requests', async () => {
    const { metrics, registry } = prometheusMetrics();
    const app = await ws.app({ metrics });
    await app.store.upsertSubscribers(['ada', 'later', 'gone'].map((n) => ({ email: `${n}@example.org`, status: 'active' as const })), new Date(Date.now() - 60_000));
    await runSend(app, { cadence: 'weekly' });
    const empty = createWorkspace({}, { posts: false });
    const scheduled = await empty.app({ metrics });
    expect((await runTick(scheduled, 'weekly', new Date(Date.now() - 60_000), new AbortController().signal)).outcome).toBe('nothing-new');
    await scheduled.close();
    empty.cleanup();
    const web = await startWebServer(app, 0, { hostname: '127.0.0.1' });
    await fetch(`${web.url}unsubscribe/not-a-token`);
    await web.close();
    await app.close();

    server = await startMetricsServer(registry, 0, '127.0.0.1');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(server.url);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(value(text, 'digest_messages_total{outcome="sent"}')).toBe(1);
    expect(value(text, 'digest_messages_total{outcome="deferred"}')).toBe(1);
    expect(value(text, 'digest_messages_total{outcome="failed"}')).toBe(1);
    expect(value(text, 'digest_smtp_errors_total{class="4xx"}')).toBe(1);
    expect(value(text, 'digest_smtp_errors_total{class="5xx"}')).toBe(1);
    expect(value(text, 'digest_send_duration_seconds_count')).toBe(3);
    expect(value(text, 'digest_queue_depth')).toBe(1); // the deferred one is still to do
    expect(value(text, 'digest_scheduler_ticks_total{cadence="weekly",outcome="nothing-new"}')).toBe(1);
    expect(text).toMatch(/^digest_http_requests_total\{method="GET",route="\/unsubscribe\/:token",status="\d+"\} 1$/m);
    expect(text).not.toContain('not-a-token'); // a token never becomes a label
  });

  it('the listener answers only /metrics', async () => {
    server = await startMetricsServer(prometheusMetrics().registry, 0, '127.0.0.1');
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
  });
});
