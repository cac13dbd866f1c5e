import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AppOptions } from '../../src/app.js';
import type { DeliveryTuning } from '../../src/deliver/run.js';
import { runSend, type SendReport } from '../../src/pipeline.js';
import type { SubscriberInput } from '../../src/store/store.js';
import type { Workspace } from '../support/workspace.js';

/** Shared by the delivery tests: subscribers, a fake clock for retries, and a look at the ledger. */
export const addresses = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}@example.org`);

export async function addSubscribers(ws: Workspace, rows: (string | SubscriberInput)[]): Promise<void> {
  const app = await ws.app();
  await app.store.upsertSubscribers(rows.map((r) => ({ status: 'active' as const, ...(typeof r === 'string' ? { email: r } : r) })), new Date(Date.now() - 60_000));
  await app.close();
}

/** Time that only moves when the engine sleeps (backoff), so retries cost no real time. */
export function fakeTime(start = Date.now()) {
  let at = start;
  return {
    now: () => new Date(at),
    advance: (ms: number) => (at += ms),
    tuning: (policy: DeliveryTuning['policy'] = {}): DeliveryTuning => ({ policy, sleep: async (ms) => void (at += ms), random: () => 0.5 }),
  };
}

export async function send(ws: Workspace, options: { app?: AppOptions; tuning?: DeliveryTuning } = {}): Promise<SendReport> {
  const app = await ws.app(options.app ?? {});
  try {
    return await runSend(app, { cadence: 'weekly', ...(options.tuning ? { tuning: options.tuning } : {}) });
  } finally {
    await app.close();
  }
}

export interface LedgerRow {
  email: string;
  state: string;
  attempts: number;
  message_id: string | null;
  last_error: string | null;
}

/** The delivery ledger as stored, by address (the last edition unless one is named). */
export function ledger(ws: Workspace, edition?: number): Map<string, LedgerRow> {
  const db = new Database(join(ws.env.DATA_DIR!, 'digest.sqlite'), { readonly: true });
  try {
    const number = edition ?? (db.prepare('SELECT max(number) AS n FROM editions').get() as { n: number }).n;
    const rows = db.prepare('SELECT email, state, attempts, message_id, last_error FROM deliveries WHERE edition = ?').all(number) as LedgerRow[];
    return new Map(rows.map((r) => [r.email, r]));
  } finally {
    db.close();
  }
}

export function states(ws: Workspace): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of ledger(ws).values()) counts[row.state] = (counts[row.state] ?? 0) + 1;
  return counts;
}

export function subscriberStatus(ws: Workspace, email: string): string {
  const db = new Database(join(ws.env.DATA_DIR!, 'digest.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT status FROM subscribers WHERE email = ?').get(email) as { status: string }).status;
  } finally {
    db.close();
  }
}
