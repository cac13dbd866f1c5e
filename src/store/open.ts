import type { Config } from '../config.js';
import type { Store } from './store.js';

/**
 * DATABASE_URL set: PostgreSQL, shared by every process; unset: SQLite in DATA_DIR. Only the
 * backend in use is imported (pg alone costs a command about 0.1 s of start-up).
 */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'dataDir'>, options: { dryRun?: boolean } = {}): Promise<Store> {
  if (config.databaseUrl) {
    const { openPostgresStore } = await import('./pg/index.js');
    return openPostgresStore(config.databaseUrl, { poolSize: config.databasePoolSize, dryRun: options.dryRun === true });
  }
  const { openSqliteStore } = await import('./sqlite/index.js');
  return openSqliteStore(config.dataDir, { snapshot: options.dryRun === true });
}
