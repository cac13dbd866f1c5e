import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../../errors.js';
import { sqliteProblem } from './guard.js';
import { MIGRATIONS } from './schema.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) and migrates the database. WAL lets readers (the web server, status)
 * work during a send; busy_timeout makes a briefly held write lock wait instead of failing.
 */
export function openDatabase(file: string): Db {
  let db: Db | undefined;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    refuseEmptyFile(file);
    createPrivately(file);
    db = new Database(file, { timeout: 5000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const integrity = db.pragma('quick_check', { simple: true });
    if (integrity !== 'ok') throw new Error(`integrity check failed: ${String(integrity)}`);
    migrate(db);
    return db;
  } catch (cause) {
    db?.close();
    const { reason, advice } = sqliteProblem(cause, file);
    throw new StoreError('STORE_UNUSABLE', `The database ${file} cannot be used (${reason}). Nothing was sent. ${advice}`, { cause });
  }
}

/** An in-memory copy of a database: dry runs work on it so nothing can reach the real file. */
export function snapshotDatabase(source: Db): Db {
  const image = source.serialize();
  // Bytes 18–19 of the header say "WAL"; an in-memory copy has no WAL file, so mark it rollback-journal.
  image[18] = 1;
  image[19] = 1;
  const copy = new Database(image);
  copy.pragma('foreign_keys = ON');
  return copy;
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`it was written by a newer version of this program (schema ${version}, this one knows ${MIGRATIONS.length})`);
  }
  for (let index = version; index < MIGRATIONS.length; index += 1) {
    db.transaction(() => {
      db.exec(MIGRATIONS[index] ?? '');
      db.pragma(`user_version = ${index + 1}`);
    }).immediate();
  }
}

/**
 * A new database file is made readable by its owner only (0600): it holds every reader's address
 * and the link secret. SQLite gives its -wal and -shm files the same mode as the database.
 */
function createPrivately(file: string): void {
  if (file === ':memory:' || existsSync(file)) return;
  closeSync(openSync(file, 'wx', 0o600));
}

/**
 * SQLite would take an existing 0-byte file for a new database and start again from an empty
 * list; a file that was there and lost its content is refused instead.
 */
function refuseEmptyFile(file: string): void {
  if (file === ':memory:' || !existsSync(file) || statSync(file).size > 0) return;
  if (existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0) return;
  throw Object.assign(new Error('the file is empty (0 bytes): its subscribers and ledger are gone'), { code: 'SQLITE_NOTADB' });
}
