import { migratePostgres } from '../../store/pg/index.js';
import { openSqliteStore } from '../../store/sqlite/index.js';
import { hidePassword } from '../../store/pg/db.js';
import type { CommandContext } from '../command.js';

/** `digest migrate`: brings the database schema up to date now, rather than at the next start. */
export async function migrate({ out, loadConfig }: CommandContext): Promise<number> {
  const config = loadConfig();
  if (!config.databaseUrl) {
    await openSqliteStore(config.dataDir).close();
    out(`SQLite database in ${config.dataDir} is up to date.`);
    return 0;
  }
  const applied = await migratePostgres(config.databaseUrl);
  const where = hidePassword(config.databaseUrl);
  out(applied.length ? `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to ${where}: ${applied.join(', ')}` : `${where} is up to date; nothing to apply.`);
  return 0;
}
