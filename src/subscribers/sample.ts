import { existsSync, readFileSync } from 'node:fs';
import type { App } from '../app.js';
import { parseSubscriberCsv } from './csv.js';

/**
 * The embedded default (no SMTP_URL) ships a sample list, so `digest send` right after install
 * shows a real result: an empty list is filled from SAMPLE_SUBSCRIBERS, and `out` says so. A
 * configured SMTP server, or any subscriber at all, leaves the list alone.
 */
export async function importSamplesIfEmbedded(app: Pick<App, 'config' | 'store' | 'now'>, out?: (line: string) => void): Promise<void> {
  const file = app.config.sampleSubscribers;
  if (app.config.smtpUrl || !existsSync(file)) return;
  const counts = await app.store.countSubscribers();
  if (Object.values(counts).some((n) => n > 0)) return;
  const { rows } = parseSubscriberCsv(readFileSync(file, 'utf8'));
  const { added } = await app.store.upsertSubscribers(rows, app.now());
  if (added) out?.(`No subscribers yet: added ${added} sample subscribers from ${file}.`);
}
