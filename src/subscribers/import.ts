import { open } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import type { ImportCounts, Store, SubscriberInput } from '../store/store.js';
import { csvRecordBatches } from './csv-records.js';
import { SubscriberCsvReader, type CsvItem, type CsvOptions } from './csv.js';

export interface ImportOutcome extends ImportCounts {
  rejected: number;
}

export interface ImportOptions extends CsvOptions {
  now: Date;
  /** Called for each rejected row (or header problem), in line order, while the file is read. */
  reject: (line: number, reason: string) => void;
}

/**
 * `digest subscribers import FILE`: the file is read a chunk at a time and each chunk's rows go to
 * the store as a batch, so memory stays flat however long the file. A rejected row is reported and
 * skipped; the others are written together at the end, or not at all if the file cannot be read.
 */
export async function importSubscriberFile(store: Pick<Store, 'importSubscribers'>, file: string, options: ImportOptions): Promise<ImportOutcome> {
  const handle = await openCsv(file);
  const reader = new SubscriberCsvReader(options);
  let rejected = 0;
  const rowsOf = (items: CsvItem[]): SubscriberInput[] => {
    const rows: SubscriberInput[] = [];
    for (const item of items) {
      if ('row' in item) rows.push(item.row);
      else (rejected += 1), options.reject(item.line, item.reason);
    }
    return rows;
  };
  async function* batches(): AsyncGenerator<SubscriberInput[]> {
    try {
      for await (const records of csvRecordBatches(handle.createReadStream({ encoding: 'utf8' }))) yield rowsOf(records.flatMap((record) => reader.read(record)));
      yield rowsOf(reader.end());
    } catch (error) {
      throw unreadable(file, error);
    }
  }
  try {
    const counts = await store.importSubscribers(batches(), options.now);
    return { ...counts, rejected };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The CSV file, open; a missing file or a folder is a usage problem, named with its path. */
async function openCsv(file: string) {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw unreadable(file, error);
  }
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw unreadable(file, Object.assign(new Error('is a folder'), { code: 'EISDIR' }));
  }
  return handle;
}

function unreadable(file: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UsageError('CSV_MISSING', `${file} does not exist: check the path of the CSV file to import`);
  if (code === 'EISDIR') return new UsageError('CSV_MISSING', `${file} is a folder: name the CSV file inside it, e.g. ${file.replace(/\/$/, '')}/subscribers.csv`);
  return new UsageError('CSV_UNREADABLE', `${file} cannot be read (${code ?? (error as Error).message}): check the file's permissions`);
}
