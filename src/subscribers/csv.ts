import { checkAddress } from '../mail/address.js';
import { CADENCES, type Cadence } from '../render/view-model.js';
import { SUBSCRIBER_STATUSES as STATUSES, type Subscriber, type SubscriberInput, type SubscriberStatus } from '../store/store.js';
import { plainLine } from '../text.js';

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

export function parseSubscriberCsv(text: string, options: CsvOptions = {}): CsvImport {
  const { records, unclosed } = parseCsv(text.replace(/^\uFEFF/, ''));
  // A quote never closed swallows every row after it into one cell: refuse that row, say why.
  const swallowed = unclosed === undefined ? undefined : records.pop();
  const header = records.shift();
  if (!header || !header.cells.map((c) => c.trim().toLowerCase()).includes('email')) {
    return { rows: [], invalid: [{ line: 1, reason: 'the first row must be a header naming the columns, e.g. email,name,categories' }] };
  }
  const names = header.cells.map((c) => c.trim().toLowerCase());
  const unknown = names.filter((n) => !(COLUMNS as readonly string[]).includes(n));
  const invalid = unknown.map((n) => ({ line: 1, reason: `unknown column "${n}" (known: ${COLUMNS.join(', ')})` }));
  if (swallowed) invalid.push({ line: swallowed.line, reason: `a quote opened in this row is never closed (unclosed quote starting on line ${unclosed}), so no row from here on was read: close the quote` });
  const byEmail = new Map<string, SubscriberInput>();
  for (const record of records) {
    if (record.broken) {
      invalid.push({ line: record.line, reason: record.broken });
      continue;
    }
    if (record.cells.every((c) => c.trim() === '')) continue;
    // Export prefixes a ' to cells a spreadsheet would run as formulas; take it off again here.
    const cell = (name: string) => (record.cells[names.indexOf(name)]?.trim() ?? '').replace(/^'(?=[=+\-@])/, '');
    if (record.cells.length > names.length) {
      invalid.push({ line: record.line, reason: `has ${record.cells.length} cells but the header has ${names.length}: quote cells that contain a comma, e.g. "Doe, Jane"` });
      continue;
    }
    const row = toInput(cell, options);
    if ('reason' in row) invalid.push({ line: record.line, reason: row.reason });
    // `excluded`: stopped topics (`;`-separated); without the column, a row leaves them as they are.
    else byEmail.set(row.email, names.includes('excluded') ? { ...row, excludedCategories: splitCategories(cell('excluded')) } : row); // a later row for the same address (any case) wins
  }
  return { rows: [...byEmail.values()], invalid: invalid.sort((a, b) => a.line - b.line) };
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

export function subscribersToCsv(subscribers: Iterable<Subscriber>): string {
  const list = [...subscribers];
  // The `excluded` column (stopped topics) only when someone has one, so older files keep their shape.
  const excluded = list.some((s) => s.excludedCategories.length > 0);
  const lines = [`email,name,categories,cadence,status${excluded ? ',excluded' : ''}`];
  for (const s of list) lines.push([s.email, s.name, s.categories.join(';'), s.cadence, s.status, ...(excluded ? [s.excludedCategories.join(';')] : [])].map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}

export function csvCell(value: string): string {
  // A leading = + - @ would run as a formula in a spreadsheet; quote-and-prefix defuses it.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r']/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

type CsvRecord = { line: number; cells: string[]; broken?: string };

/**
 * RFC 4180 records with the line each starts on; `unclosed`: the line of a quote the text ends inside. A
 * quote that spans a line break and then "closes" mid-cell (`"Bob` … `,"Carol"`) was never meant
 * to be closed: that row is marked broken and reading resumes on the line after the quote.
 */
function parseCsv(text: string): { records: CsvRecord[]; unclosed: number | undefined } {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let quote = { index: 0, line: 1 };
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), (i += 1);
      else if (c === '"' && line > quote.line && !/^[,\r\n]?$/.test(text[i + 1] ?? '')) {
        records.push({ line: start, cells: [], broken: `unclosed quote starting on line ${quote.line}: close it, or double a quote inside a cell ("")` });
        (i = text.indexOf('\n', quote.index)), (quoted = false), (cells = []), (cell = ''), (line = quote.line + 1), (start = line);
      } else if (c === '"') quoted = false;
      else (cell += c), c === '\n' && (line += 1);
    } else if (c === '"' && cell === '') (quoted = true), (quote = { index: i, line });
    else if (c === ',') cells.push(cell), (cell = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      cells.push(cell), records.push({ line: start, cells }), (cells = []), (cell = ''), (line += 1), (start = line);
    } else cell += c;
  }
  if (cell !== '' || cells.length || quoted) cells.push(cell), records.push({ line: start, cells });
  return { records, unclosed: quoted ? quote.line : undefined };
}
