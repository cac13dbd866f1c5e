import { join } from 'node:path';
import type { Store } from '../store.js';
import { bounceStore } from './bounces.js';
import { deliveryStore } from './deliveries.js';
import { editionStore } from './editions.js';
import { feedStore } from './feeds.js';
import { guardStore } from './guard.js';
import { openDatabase, snapshotDatabase, type Db } from './open.js';
import { subscriberStore } from './subscribers.js';
import { tickStore } from './ticks.js';
import { workerStore } from './workers.js';

export const DATABASE_FILE = 'digest.sqlite';

export function openSqliteStore(dataDir: string, options: { snapshot?: boolean } = {}): Store {
  const file = dataDir === ':memory:' ? ':memory:' : join(dataDir, DATABASE_FILE);
  const real = openDatabase(file);
  if (!options.snapshot) return guardStore(storeOver(real), file);
  const copy = snapshotDatabase(real);
  real.close();
  return guardStore(storeOver(copy), file);
}

function storeOver(db: Db): Store {
  return {
    kind: 'sqlite',
    ...subscriberStore(db),
    ...editionStore(db),
    ...deliveryStore(db),
    ...workerStore(db),
    ...tickStore(db),
    ...feedStore(db),
    ...bounceStore(db),
    async getMeta(key) {
      return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
    },
    async setMeta(key, value) {
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
