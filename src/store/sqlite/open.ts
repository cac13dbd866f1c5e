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
    // No quick_check here: it reads every page (0.5–0.8 s at a million subscribers) and every
    // command would pay it. `digest check` runs it (checkDatabaseFile); this cheap test catches a
    // file cut short, and SQLite reports any other damage on the page it meets.
    refuseCutFile(db, file);
    migrate(db);
    return db;
  } catch (cause) {
    db?.close();
    const { reason, advice } = sqliteProblem(cause, file);
    throw new StoreError('STORE_UNUSABLE', `The database ${file} cannot be used (${reason}). Nothing was sent. ${advice}`, { cause });
  }
}

/** SQLite's quick_check of the whole file, for `digest check`: 'ok', or what is wrong. */
export function checkDatabaseFile(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    return rows.map((row) => row.quick_check).join('; ');
  } finally {
    db.close();
  }
}

/**
 * A file shorter than the page count in its header (read by SQLite from the first page) lost its
 * end; SQLite would only notice on reaching a missing page, perhaps mid-send.
 */
function refuseCutFile(db: Db, file: string): void {
  if (file === ':memory:') return;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const size = statSync(file).size;
  const walEmpty = !existsSync(`${file}-wal`) || statSync(`${file}-wal`).size === 0;
  if (walEmpty && size < pages * pageSize) {
    throw Object.assign(new Error(`the file is ${size} bytes where its header counts ${pages} pages of ${pageSize}: it was cut short`), { code: 'SQLITE_CORRUPT' });
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
