import { join, resolve } from 'node:path';
import { DATABASE_FILE } from '../../store/sqlite/index.js';
import { backupDatabase } from '../../store/sqlite/backup.js';
import { stringOption, type CommandContext } from '../command.js';

/** `digest backup --out FILE`: a consistent copy of the SQLite database, safe while digest runs. */
export async function backup({ options, out, loadConfig }: CommandContext): Promise<number> {
  const config = loadConfig();
  const source = join(config.dataDir, DATABASE_FILE);
  const destination = resolve(stringOption(options, 'out') ?? '');
  const { bytes, pages } = await backupDatabase(source, destination);
  out(`Backed up ${source} to ${destination} (${pages} pages, ${bytes} bytes; readable by its owner only).`);
  out(`To restore: stop digest, copy it to ${source}, delete ${DATABASE_FILE}-wal and ${DATABASE_FILE}-shm beside it, start digest.`);
  return 0;
}
