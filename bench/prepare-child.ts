import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { prepareEdition } from '../src/pipeline.js';

/**
 * Run in its own process by workers-bench.ts: prepares one edition (stages 1–6 and the frozen
 * recipients) from the environment's database, and prints time, recipients and peak RSS as JSON.
 */
const app = await createApp(loadConfig(), { logger: silentLogger });
const started = performance.now();
const { edition } = await prepareEdition(app, { cadence: 'weekly' });
const seconds = (performance.now() - started) / 1000;
const counts = edition ? await app.store.countDeliveries(edition.number) : undefined;
await app.close();
process.stdout.write(`${JSON.stringify({ seconds, recipients: counts?.pending ?? 0, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
