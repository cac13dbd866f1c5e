import cron, { type ScheduledTask } from 'node-cron';
import type { App } from '../app.js';
import { ConfigError, messageOf } from '../errors.js';
import { runWorker } from '../deliver/worker.js';
import { importSamplesIfEmbedded } from '../subscribers/sample.js';
import { healthzRoute } from '../web/healthz.js';
import { startWebServer, type RunningWebServer } from '../web/server.js';
import { configuredSchedules, graceMsOf } from './cadences.js';
import { createScheduler, type CadenceSchedule, type Scheduler } from './scheduler.js';

/**
 * The long-running production process: the scheduler, and with `web` the public web server, until
 * SIGTERM or SIGINT. Shutdown stops new ticks, lets the running send finish the messages already
 * on the wire (unsent claimed recipients go back to pending), closes the web server, the SMTP
 * pool and the store, and resolves 0; past SHUTDOWN_TIMEOUT_SECONDS it exits 1 regardless.
 */
export interface ServiceOptions {
  web: boolean;
  /** Also run a delivery worker (`digest start`); without one, ticks only prepare their editions. */
  worker?: boolean;
  out: (line: string) => void;
  signals?: NodeJS.Signals[];
}

export async function runService(app: App, options: ServiceOptions): Promise<number> {
  const schedules = configuredSchedules(app.config);
  const withWorker = options.worker === true;
  const scheduler = createScheduler(app, { schedules, graceMs: graceMsOf(app.config), deliver: options.worker !== false });
  const workerStop = new AbortController();
  const stopSignal = onceSignal(options.signals ?? ['SIGTERM', 'SIGINT']);
  let web: RunningWebServer | undefined;
  let closing: Promise<void> | undefined;
  const closeApp = () => (closing ??= app.close());
  try {
    await importSamplesIfEmbedded(app, options.out);
    if (options.web) web = await startWebServer(app, app.config.port, { routes: [healthzRoute(app, schedules, { ticksExpectedSince: app.now() })] }).catch(portInUse(app.config.port));
    app.logger.info('service.started', { web: web?.url ?? null, schedules: schedules.map((s) => `${s.cadence}: ${s.schedule.expression}`) });
    options.out(`Scheduler running (${schedules.map((s) => `${s.cadence} "${s.schedule.expression}" in ${s.schedule.zone}`).join('; ')})${web ? `; web server listening on ${web.describe(app.config.publicUrl)}` : ''}. Stop with Ctrl-C or SIGTERM.`);
    const started = scheduler.start().catch((error: unknown) => app.logger.error('schedule.error', { error: messageOf(error) }));
    // The worker delivers what any scheduler (this one or another machine's) prepared.
    const delivering = withWorker ? runWorker(app, workerStop.signal).catch((error: unknown) => app.logger.error('worker.error', { error: messageOf(error) })) : undefined;
    const triggers = cronTriggers(schedules, scheduler);
    const signal = await stopSignal.received;
    await shutdown(app, signal, async () => {
      await Promise.all(triggers.map((task) => task.destroy()));
      workerStop.abort();
      await scheduler.stop();
      await started;
      await delivering;
      await web?.close();
      web = undefined;
      await closeApp();
    });
    return 0;
  } finally {
    stopSignal.dispose();
    await web?.close();
    await closeApp();
  }
}

/**
 * node-cron fires at each cron time in the configured zone and wakes the scheduler, which then
 * decides from the computed schedule and the ticks table what is due. So node-cron is the trigger
 * but never the judge: a double fire at a DST change finds the tick already taken, and a fire it
 * skips is caught by the scheduler's own timer, which also wakes it at least once a minute.
 */
function cronTriggers(schedules: CadenceSchedule[], scheduler: Scheduler): ScheduledTask[] {
  return schedules.map(({ cadence, schedule }) =>
    cron.schedule(schedule.expression, () => scheduler.wake(), { name: `digest-${cadence}`, timezone: schedule.zone, noOverlap: true, unref: true, suppressMissedWarning: true }),
  );
}

/** Stops the work, closes everything, within SHUTDOWN_TIMEOUT_SECONDS or exits 1. */
async function shutdown(app: App, signal: NodeJS.Signals, stopWork: () => Promise<void>): Promise<void> {
  const bound = app.config.shutdownTimeoutSeconds;
  app.logger.info('shutdown.begin', { signal, timeoutSeconds: bound });
  const deadline = setTimeout(() => {
    app.logger.error('shutdown.timeout', { timeoutSeconds: bound });
    process.exit(1);
  }, bound * 1000);
  try {
    await stopWork();
  } finally {
    clearTimeout(deadline);
  }
  app.logger.info('shutdown.done', { signal });
}

function portInUse(port: number) {
  return (error: unknown): never => {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    throw new ConfigError('PORT_IN_USE', `PORT ${port} is already in use by another program; set PORT to a free port (or stop the other program).`, { cause: error });
  };
}

function onceSignal(signals: NodeJS.Signals[]): { received: Promise<NodeJS.Signals>; dispose(): void } {
  let first = true;
  let resolveSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveSignal = resolve));
  const handler = (signal: NodeJS.Signals) => {
    if (first) resolveSignal(signal);
    else process.exit(130); // a second signal while shutting down: stop at once
    first = false;
  };
  for (const s of signals) process.on(s, handler);
  return { received, dispose: () => signals.forEach((s) => process.removeListener(s, handler)) };
}
