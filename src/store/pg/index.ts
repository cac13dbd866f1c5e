import { isDigestError, StoreError } from '../../errors.js';
import type { Store } from '../store.js';
import { connectPg, type Pg } from './db.js';
import { bounceStore } from './bounces.js';
import { deliveryStore } from './deliveries.js';
import { editionStore } from './editions.js';
import { feedStore } from './feeds.js';
import { postgresProblem } from './guard.js';
import { migratePg } from './migrate.js';
import { subscriberStore } from './subscribers.js';
import { tickStore } from './ticks.js';
import { workerStore } from './workers.js';

export interface PgStoreOptions {
  poolSize: number;
  /** Work inside one transaction rolled back at close: a dry run records nothing. */
  dryRun?: boolean;
}

/** Opens the PostgreSQL store, applying any migration not yet applied (under an advisory lock). */
export async function openPostgresStore(url: string, options: PgStoreOptions): Promise<Store> {
  const admin = await connectPg(url, { poolSize: options.poolSize, dryRun: false });
  try {
    await migrated(admin);
  } catch (error) {
    await admin.end();
    throw error;
  }
  if (!options.dryRun) return storeOver(admin);
  await admin.end();
  return storeOver(await connectPg(url, { poolSize: 1, dryRun: true }));
}

/** `digest migrate`: applies what is missing and says which files ran. */
export async function migratePostgres(url: string): Promise<string[]> {
  const db = await connectPg(url, { poolSize: 1, dryRun: false });
  try {
    return await migrated(db);
  } finally {
    await db.end();
  }
}

async function migrated(db: Pg): Promise<string[]> {
  try {
    return await migratePg(db);
  } catch (cause) {
    if (isDigestError(cause)) throw cause;
    const { reason, advice } = postgresProblem(cause);
    throw new StoreError('STORE_UNUSABLE', `The database ${db.where} could not be migrated (${reason}). Nothing was sent. ${advice}`, { cause });
  }
}

function storeOver(db: Pg): Store {
  return {
    kind: 'postgres',
    ...subscriberStore(db),
    ...editionStore(db),
    ...deliveryStore(db),
    ...workerStore(db),
    ...tickStore(db),
    ...feedStore(db),
    ...bounceStore(db),
    async getMeta(key) {
      return (await db.rows<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]))[0]?.value;
    },
    async setMeta(key, value) {
      await db.run('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
    async close() {
      await db.end();
    },
  };
}
