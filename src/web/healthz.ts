import type { Hono } from 'hono';
import type { App } from '../app.js';
import { messageOf } from '../errors.js';
import { collectHealth } from '../schedule/health.js';
import type { CadenceSchedule } from '../schedule/scheduler.js';

/**
 * GET /healthz: the same basics as `digest status`, as JSON (last edition and counts, next
 * scheduled times, deferred and uncertain deliveries, workers and open editions). 503 when the database
 * cannot answer. Mount with `startWebServer(app, port, { routes: [healthzRoute(app, schedules)] })`.
 */
export function healthzRoute(app: App, schedules: CadenceSchedule[]): (web: Hono) => void {
  return (web) => {
    web.get('/healthz', async (c) => {
      try {
        return c.json(await collectHealth(app, schedules));
      } catch (error) {
        app.logger.error('healthz.failed', { error: messageOf(error) });
        return c.json({ ok: false, error: 'the database did not answer' }, 503);
      }
    });
  };
}
