import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { isDigestError, messageOf, STORE_STOPPED, StoreError } from '../../errors.js';

/**
 * SQLite failures after the database is open (a write lock held too long by another process, a
 * full disk, a file damaged while in use) become StoreErrors naming the file, the cause and what
 * to do, instead of a raw "database is locked" with a stack trace.
 */
export interface SqliteProblem {
  reason: string;
  advice: string;
}

export function sqliteProblem(error: unknown, file: string): SqliteProblem {
  const code = String((error as { code?: unknown }).code ?? '');
  const message = messageOf(error);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return { reason: `the file is damaged or not a database: ${message}`, advice: 'Restore it from a backup, or move it aside to start a new one.' };
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return { reason: 'another process holds a write lock on it', advice: 'Wait for that process (another digest send, a backup) to finish, then try again.' };
  }
  if (code === 'SQLITE_FULL' || (code.startsWith('SQLITE_IOERR') && diskFull(file))) {
    return { reason: 'the disk is full', advice: `Free some space on the disk holding ${dirname(file)}, then try again; the database itself is intact.` };
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    return { reason: `it cannot be opened for writing: ${message}`, advice: 'Check the permissions of the file and its folder (DATA_DIR).' };
  }
  return { reason: message, advice: 'Restore it from a backup, or move it aside to start a new one.' };
}

function diskFull(file: string): boolean {
  try {
    const stats = statfsSync(dirname(file));
    return stats.bavail * stats.bsize < 256 * 1024;
  } catch {
    return false;
  }
}

/** A StoreError for a failure while working, or the error itself when it is not SQLite's. */
export function toStoreError(error: unknown, file: string): unknown {
  if (isDigestError(error) || !String((error as { code?: unknown })?.code ?? '').startsWith('SQLITE_')) return error;
  const { reason, advice } = sqliteProblem(error, file);
  return new StoreError(
    'STORE_FAILED',
    `The database ${file} could not be used (${reason}). ${STORE_STOPPED} ${advice}`,
    { cause: error },
  );
}

type AnyFunction = (...args: unknown[]) => unknown;

/** Wraps every method of a store so SQLite errors surface as StoreErrors. */
export function guardStore<T extends object>(store: T, file: string): T {
  const guarded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) guarded[name] = typeof value === 'function' ? guardFunction(value as AnyFunction, file) : value;
  return guarded as T;
}

function guardFunction(fn: AnyFunction, file: string): AnyFunction {
  if (fn.constructor.name === 'AsyncGeneratorFunction') {
    return async function* (...args: unknown[]) {
      try {
        yield* fn(...args) as AsyncGenerator<unknown>;
      } catch (error) {
        throw toStoreError(error, file);
      }
    };
  }
  return (...args: unknown[]) => {
    try {
      const result = fn(...args);
      return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(toStoreError(error, file))) : result;
    } catch (error) {
      throw toStoreError(error, file);
    }
  };
}
