import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { prepareEdition } from '../src/pipeline.js';
import { DATABASE_FILE } from '../src/store/sqlite/index.js';

/**
 * Run in its own process by workers-bench.ts: prepares one edition (stages 1–6 and the frozen
 * recipients) from the environment's database, then times a claim of 100 rows at its start and
 * again once 90 % of it is done (a claim must not slow down as the edition goes on, nor as deferred
 * rows pile up), and prints time, recipients, the claims and peak RSS as JSON.
 */
const CLAIM = 100;
const app = await createApp(loadConfig(), { logger: silentLogger });
const started = performance.now();
const { edition } = await prepareEdition(app, { cadence: 'weekly' });
const seconds = (performance.now() - started) / 1000;
const counts = edition ? await app.store.countDeliveries(edition.number) : undefined;
const claims = edition ? await claimFigures(app, edition.number, counts?.pending ?? 0) : undefined;
await app.close();
process.stdout.write(`${JSON.stringify({ seconds, recipients: counts?.pending ?? 0, ...claims, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);

async function claimFigures(app: App, edition: number, recipients: number): Promise<{ firstClaimMs: number; lateClaimMs: number }> {
  const worker = 'bench-claims';
  await app.store.registerWorker({ id: worker, host: 'bench', pid: process.pid, processStart: 'bench' });
  const firstClaimMs = await timedClaim(app, worker, edition);
  await markSentUpTo(app, edition, Math.floor(recipients * 0.9));
  const late: number[] = [];
  for (let i = 0; i < 5; i += 1) late.push(await timedClaim(app, worker, edition));
  return { firstClaimMs, lateClaimMs: late.sort((a, b) => a - b)[2]! };
}

async function timedClaim(app: App, worker: string, edition: number): Promise<number> {
  const started = performance.now();
  const claimed = await app.store.claimBatch(worker, { edition, limit: CLAIM }, new Date());
  if (claimed.length !== CLAIM) throw new Error(`claimed ${claimed.length} rows, expected ${CLAIM}`);
  return performance.now() - started;
}

/**
 * What a long send leaves behind, written straight into the database: of the first rows, nine in
 * ten sent and one in ten deferred for an hour (a provider slowing the send down).
 */
async function markSentUpTo(app: App, edition: number, rows: number): Promise<void> {
  const retryAt = Date.now() + 3_600_000;
  const sql = `UPDATE deliveries SET worker_id = NULL,
       state = CASE WHEN subscriber_id % 10 = 0 THEN 'deferred' ELSE 'sent' END,
       retry_at = CASE WHEN subscriber_id % 10 = 0 THEN ${retryAt} END
     WHERE edition = ${edition} AND state IN ('pending', 'sending')
       AND subscriber_id IN (SELECT subscriber_id FROM deliveries WHERE edition = ${edition} ORDER BY subscriber_id LIMIT ${rows})`;
  if (app.config.databaseUrl) {
    const client = new pg.Client({ connectionString: app.config.databaseUrl });
    await client.connect();
    // Autovacuum analyzes a table once a tenth of it changed: a long send is planned with these figures.
    await client.query(sql).then(() => client.query('ANALYZE deliveries, subscribers')).finally(() => client.end());
    return;
  }
  const db = new Database(join(app.config.dataDir, DATABASE_FILE));
  db.prepare(sql).run();
  db.close();
}
