import type { Config } from '../config.js';
import { openPostgresStore } from './pg/index.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './store.js';

/** DATABASE_URL set: PostgreSQL, shared by every process; unset: SQLite in DATA_DIR. */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'dataDir'>, options: { dryRun?: boolean } = {}): Promise<Store> {
  if (config.databaseUrl) return openPostgresStore(config.databaseUrl, { poolSize: config.databasePoolSize, dryRun: options.dryRun === true });
  return openSqliteStore(config.dataDir, { snapshot: options.dryRun === true });
}
