import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../../errors.js';
import { sqliteProblem } from './guard.js';

export interface BackupResult {
  bytes: number;
  pages: number;
}

/**
 * A consistent copy of a live database through SQLite's online backup API: it copies page by page
 * and restarts if a writer changes a page meanwhile, so a send or the web server may keep running.
 * (A plain `cp` of a WAL database can miss what is still in the -wal file, or copy half a write.)
 * The copy is made 0600 like the database, checked with quick_check, and removed if anything fails.
 */
export async function backupDatabase(source: string, destination: string): Promise<BackupResult> {
  if (!existsSync(source)) throw new StoreError('BACKUP_NO_DATABASE', `There is no database at ${source} to back up: check DATA_DIR (nothing has been sent or subscribed yet?).`);
  if (existsSync(destination)) throw new StoreError('BACKUP_EXISTS', `${destination} already exists: name a new file, so an older backup is never overwritten.`);
  if (!existsSync(dirname(destination))) throw new StoreError('BACKUP_FOLDER', `The folder ${dirname(destination)} does not exist: create it first or name another file.`);
  let db: Database.Database | undefined;
  try {
    closeSync(openSync(destination, 'wx', 0o600));
    db = new Database(source, { fileMustExist: true, timeout: 5000 });
    await db.backup(destination);
    db.close();
    const copy = new Database(destination, { readonly: true });
    const check = copy.pragma('quick_check', { simple: true });
    const pages = copy.pragma('page_count', { simple: true }) as number;
    copy.close();
    if (check !== 'ok') throw new Error(`the copy failed its integrity check: ${String(check)}`);
    return { bytes: statSync(destination).size, pages };
  } catch (cause) {
    if (db?.open) db.close();
    rmSync(destination, { force: true });
    const { reason, advice } = sqliteProblem(cause, source);
    throw new StoreError('BACKUP_FAILED', `The backup of ${source} failed (${reason}); ${destination} was not written. ${advice}`, { cause });
  }
}
