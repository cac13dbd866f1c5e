import { existsSync, readFileSync } from 'node:fs';
import type { SubscriberStore } from '../store/store.js';
import { parseSubscriberCsv } from './csv.js';

/**
 * The embedded default ships a sample list, so `digest send` right after install shows a real
 * result. Only an empty list is filled, and only when no SMTP server is configured.
 */
export async function importSampleSubscribersIfEmpty(store: SubscriberStore, file: string, now: Date): Promise<number> {
  const counts = await store.countSubscribers();
  if (Object.values(counts).some((n) => n > 0) || !existsSync(file)) return 0;
  const { rows } = parseSubscriberCsv(readFileSync(file, 'utf8'));
  const { added } = await store.upsertSubscribers(rows, now);
  return added;
}
