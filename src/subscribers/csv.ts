import { checkAddress } from '../mail/address.js';
import { CADENCES, type Cadence } from '../render/view-model.js';
import { SUBSCRIBER_STATUSES as STATUSES, type Subscriber, type SubscriberInput, type SubscriberStatus } from '../store/store.js';
import { plainLine } from '../text.js';
import { csvRecords, type CsvRecord } from './csv-records.js';

/**
 * Subscriber CSV: header row `email,name,categories` with optional `cadence`, `status` and
 * `excluded` (stopped topics). Topics within a cell are separated by `;` (or `|`). Export writes
 * the same shape, so a file round-trips through import unchanged.
 */
export interface CsvImport {
  rows: SubscriberInput[];
  invalid: { line: number; reason: string }[];
}

const COLUMNS = ['email', 'name', 'categories', 'cadence', 'status', 'excluded'] as const;

export interface CsvOptions {
  /** Why a row's cadence cannot be used here (e.g. it has no schedule), or undefined. */
  cadenceProblem?: (cadence: Cadence) => string | undefined;
}

/** One record's outcome: a row to import, or the reason it cannot be (both with the record's line). */
export type CsvItem = { line: number; row: SubscriberInput } | { line: number; reason: string };

/**
 * Reads records one at a time (the first is the header), so a file of any length streams through:
 * each record becomes a row or a rejection naming its line. Rows are not de-duplicated here; a later
 * row for the same address wins wherever they are gathered.
 */
export class SubscriberCsvReader {
  private names: string[] | undefined;
  /** Set when the header is unusable: nothing after it can be read. */
  private refused = false;

  constructor(private readonly options: CsvOptions = {}) {}

  read(record: CsvRecord): CsvItem[] {
    if (this.refused) return [];
    if (!this.names) return this.readHeader(record);
    // A quote never closed swallows every row after it into one cell: refuse that row, say why.
    if (record.unclosed !== undefined) return [{ line: record.line, reason: `a quote opened in this row is never closed (unclosed quote starting on line ${record.unclosed}), so no row from here on was read: close the quote` }];
    if (record.broken) return [{ line: record.line, reason: record.broken }];
    if (record.cells.every((c) => c.trim() === '')) return [];
    const names = this.names;
    if (record.cells.length > names.length) return [{ line: record.line, reason: `has ${record.cells.length} cells but the header has ${names.length}: quote cells that contain a comma, e.g. "Doe, Jane"` }];
    // Export prefixes a ' to cells a spreadsheet would run as formulas; take it off again here.
    const cell = (name: string) => (record.cells[names.indexOf(name)]?.trim() ?? '').replace(/^'(?=[=+\-@])/, '');
    const row = toInput(cell, this.options);
    if ('reason' in row) return [{ line: record.line, reason: row.reason }];
    // `excluded`: stopped topics (`;`-separated); without the column, a row leaves them as they are.
    return [{ line: record.line, row: names.includes('excluded') ? { ...row, excludedCategories: splitCategories(cell('excluded')) } : row }];
  }

  /** After the last record: an empty file has no header either. */
  end(): CsvItem[] {
    return this.names || this.refused ? [] : this.refuse();
  }

  private readHeader(record: CsvRecord): CsvItem[] {
    const names = record.unclosed === undefined ? record.cells.map((c) => c.trim().toLowerCase()) : [];
    if (!names.includes('email')) return this.refuse();
    this.names = names;
    const unknown = names.filter((n) => !(COLUMNS as readonly string[]).includes(n));
    return unknown.map((n) => ({ line: 1, reason: `unknown column "${n}" (known: ${COLUMNS.join(', ')})` }));
  }

  private refuse(): CsvItem[] {
    this.refused = true;
    return [{ line: 1, reason: 'the first row must be a header naming the columns, e.g. email,name,categories' }];
  }
}

/** A whole (small) file at once: the rows, a later row for the same address (any case) winning, and the rejections. */
export function parseSubscriberCsv(text: string, options: CsvOptions = {}): CsvImport {
  const reader = new SubscriberCsvReader(options);
  const byEmail = new Map<string, SubscriberInput>();
  const invalid: CsvImport['invalid'] = [];
  for (const item of [...csvRecords(text).flatMap((record) => reader.read(record)), ...reader.end()]) {
    if ('row' in item) byEmail.set(item.row.email, item.row);
    else invalid.push(item);
  }
  return { rows: [...byEmail.values()], invalid };
}

function toInput(cell: (name: string) => string, options: CsvOptions): SubscriberInput | { reason: string } {
  const address = checkAddress(cell('email'));
  if (!address.ok) return { reason: `email "${cell('email').slice(0, 80)}" ${address.reason}` };
  const cadence = cell('cadence').toLowerCase();
  if (cadence && !CADENCES.includes(cadence as Cadence)) return { reason: `cadence "${cadence}" must be one of ${CADENCES.join(', ')}` };
  const unusable = cadence ? options.cadenceProblem?.(cadence as Cadence) : undefined;
  if (unusable) return { reason: unusable };
  const status = cell('status').toLowerCase();
  if (status && !STATUSES.includes(status as SubscriberStatus)) return { reason: `status "${status}" must be one of ${STATUSES.join(', ')}` };
  const name = plainLine(cell('name'));
  if (name.length > 100) return { reason: 'name is longer than 100 characters' };
  return {
    email: address.address,
    name,
    categories: splitCategories(cell('categories')),
    ...(cadence ? { cadence: cadence as Cadence } : {}),
    ...(status ? { status: status as SubscriberStatus } : {}),
  };
}

export function splitCategories(value: string): string[] {
  return value
    .split(/[;|,]/)
    .map((c) => plainLine(c))
    .filter(Boolean);
}

/** The header row export writes; `excluded` when any subscriber has stopped a topic. */
export function subscriberCsvHeader(excluded: boolean): string {
  return `email,name,categories,cadence,status${excluded ? ',excluded' : ''}`;
}

/** One subscriber's row, under the header of the same `excluded` choice. */
export function subscriberCsvLine(s: Subscriber, excluded: boolean): string {
  return [s.email, s.name, s.categories.join(';'), s.cadence, s.status, ...(excluded ? [s.excludedCategories.join(';')] : [])].map(csvCell).join(',');
}

export function csvCell(value: string): string {
  // A leading = + - @ would run as a formula in a spreadsheet; quote-and-prefix defuses it.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r']/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
