import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { CLAIM_BATCH } from '../../src/store/pg/deliveries.js';
import { IN_FLIGHT_WRITES as PG_IN_FLIGHT } from '../../src/store/pg/workers.js';
import { claimBatchSql } from '../../src/store/sqlite/deliveries.js';
import { IN_FLIGHT_WRITES as SQLITE_IN_FLIGHT } from '../../src/store/sqlite/workers.js';
import type { Store } from '../../src/store/store.js';
import { newEdition, useStores, type StoreKind } from './stores.js';

/**
 * A claim's work must not grow with the part of the edition already sent, nor with the deferred
 * rows waiting for their retry time. Late in a large edition it used to read every row already sent
 * or deferred (SQLite: the edition's rows in key order, filtered by state; both stores: every
 * deferred row not yet due) or every subscriber before the claimed ones (PostgreSQL: a merge join
 * the planner chose for the subscriber lookup), so that each claim took longer than the one before:
 * about 125 ms a claim 90 % through a million on SQLite. Work is counted here, not timed (`npm run
 * bench -- --workers 0` times it): the plan SQLite chooses, the rows PostgreSQL reads.
 */
const stores = useStores();
afterEach(() => stores.close());
const READERS = 20_000;
const SENT = 18_000;
const LIMIT = 100;
const T = new Date('2026-12-01T09:00:00Z');
const CONFIRMED = new Date('2026-11-01T00:00:00Z').getTime();
// Enough readers that PostgreSQL's planner reaches rows by key rather than reading the whole table.
const SEED_READERS: Record<StoreKind, string> = {
  sqlite: `INSERT INTO subscribers (email, name, cadence, status, created_at, confirmed_at, status_changed_at)
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${READERS})
    SELECT 'reader' || i || '@example.org', '', 'weekly', 'active', ${CONFIRMED}, ${CONFIRMED}, ${CONFIRMED} FROM n`,
  postgres: `INSERT INTO subscribers (email, name, cadence, status, created_at, confirmed_at, status_changed_at)
    SELECT 'reader' || i || '@example.org', '', 'weekly', 'active', ${CONFIRMED}, ${CONFIRMED}, ${CONFIRMED} FROM generate_series(1, ${READERS}) AS i`,
};

async function mostlySent(kind: StoreKind): Promise<Store> {
  const store = await stores.open(kind);
  await stores.edit(kind, SEED_READERS[kind]);
  await store.createEdition(newEdition(1));
  // Of the first rows, four in five are sent and one in five deferred until an hour from now.
  await stores.edit(
    kind,
    `UPDATE deliveries SET state = CASE WHEN subscriber_id % 5 = 0 THEN 'deferred' ELSE 'sent' END,
       retry_at = CASE WHEN subscriber_id % 5 = 0 THEN ${T.getTime() + 3_600_000} END WHERE subscriber_id <= ${SENT}`,
  );
  if (kind === 'postgres') await stores.edit(kind, 'ANALYZE');
  await store.registerWorker({ id: 'w', host: 'mail-1.example.org', pid: 1, processStart: '1' });
  return store;
}

describe('a claim late in a large edition', () => {
  it('sqlite: reads the claimable rows in order from their index, for one edition or any', async () => {
    const store = await mostlySent('sqlite');
    const db = new Database(stores.sqliteFile(), { readonly: true });
    try {
      for (const scope of ['edition', 'any'] as const) {
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${claimBatchSql(scope)}`).all({ worker: 'w', edition: 1, now: T.getTime(), limit: LIMIT }) as { detail: string }[];
        const reads = plan.map((step) => step.detail).filter((detail) => / d\b/.test(detail));
        expect(reads, scope).toEqual([expect.stringMatching(/^SEARCH d USING INDEX deliveries_claimable \(edition=\? AND <expr><\?\)$/)]);
      }
    } finally {
      db.close();
    }
    const claimed = await store.claimBatch('w', { edition: 1, limit: LIMIT }, T);
    expect(claimed.map((c) => c.subscriber.id)).toEqual(Array.from({ length: LIMIT }, (_, i) => SENT + 1 + i));
  });

  it('postgres: reads about as many deliveries and subscribers as it claims', async () => {
    const store = await mostlySent('postgres');
    const client = new pg.Client({ connectionString: stores.url() });
    await client.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${CLAIM_BATCH}`, ['w', T.getTime(), 1, LIMIT]);
      await client.query('ROLLBACK');
      const read = rowsRead(rows[0]!['QUERY PLAN'][0].Plan);
      expect(read.get('subscribers')).toBeLessThanOrEqual(LIMIT);
      expect(read.get('deliveries')).toBeLessThanOrEqual(2 * LIMIT); // the open rows, then each one updated
    } finally {
      await client.end();
    }
    const claimed = await store.claimBatch('w', { edition: 1, limit: LIMIT }, T);
    expect(claimed.map((c) => c.subscriber.id)).toEqual(Array.from({ length: LIMIT }, (_, i) => SENT + 1 + i));
  });
});

/**
 * A worker leaving hands its claimed rows back, and every send and every poll of `digest worker`
 * recovers the rows of dead workers. The ledger of a long history holds millions of rows, so each
 * of these writes must read only the rows in flight: on SQLite they read every delivery of every
 * edition (about 300 ms per three million rows, holding the write lock).
 */
describe('rows in flight handed back, late in a large edition', () => {
  async function inFlight(kind: StoreKind): Promise<Store> {
    const store = await mostlySent(kind);
    await store.claimBatch('w', { edition: 1, limit: LIMIT }, T);
    await stores.edit(kind, `UPDATE deliveries SET state = 'awaiting' WHERE state = 'sending' AND subscriber_id % 2 = 0`);
    if (kind === 'postgres') await stores.edit(kind, 'ANALYZE');
    return store;
  }

  it('sqlite: each write reads deliveries_in_flight', async () => {
    const store = await inFlight('sqlite');
    const db = new Database(stores.sqliteFile(), { readonly: true });
    try {
      const params = { now: T.getTime(), worker: 'w', dead: '["w"]', reason: 'r', note: 'n', resendAt: T.getTime() };
      for (const [name, sql] of Object.entries(SQLITE_IN_FLIGHT)) {
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[];
        const reads = plan.map((step) => step.detail).filter((detail) => /\bdeliveries\b/.test(detail));
        expect(reads, name).toEqual([expect.stringMatching(/^(SCAN|SEARCH) deliveries USING INDEX deliveries_in_flight\b/)]);
      }
    } finally {
      db.close();
    }
    expect(await store.deregisterWorker('w', T)).toBe(LIMIT / 2);
  });

  it('postgres: each write reads about as many deliveries as are in flight', async () => {
    const store = await inFlight('postgres');
    const client = new pg.Client({ connectionString: stores.url() });
    await client.connect();
    const params: Record<keyof typeof PG_IN_FLIGHT, unknown[]> = {
      release: [T.getTime(), 'w'],
      requeue: [['w'], T.getTime()],
      resend: [['w'], T.getTime(), 'r', 'n', T.getTime()],
      uncertain: [['w'], T.getTime(), 'r'],
    };
    try {
      for (const [name, sql] of Object.entries(PG_IN_FLIGHT) as [keyof typeof PG_IN_FLIGHT, string][]) {
        await client.query('BEGIN');
        const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params[name]);
        await client.query('ROLLBACK');
        expect(rowsRead(rows[0]!['QUERY PLAN'][0].Plan).get('deliveries'), name).toBeLessThanOrEqual(2 * LIMIT);
      }
    } finally {
      await client.end();
    }
    expect(await store.deregisterWorker('w', T)).toBe(LIMIT / 2);
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** Rows each table's scans read (returned or filtered out), over every loop; the update's own writes are not reads. */
function rowsRead(node: PlanNode, totals = new Map<string, number>()): Map<string, number> {
  const table = node['Relation Name'];
  if (table && node['Node Type'] !== 'ModifyTable') totals.set(table, (totals.get(table) ?? 0) + (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops']);
  for (const child of node.Plans ?? []) rowsRead(child, totals);
  return totals;
}
