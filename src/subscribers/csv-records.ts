/**
 * A record of a CSV file: the line it starts on and its cells. `broken`: why it cannot be read (a
 * quote that closes mid-cell on a later line); `unclosed`: the line of a quote the file ends
 * inside, so this record swallowed every line after it.
 */
export type CsvRecord = { line: number; cells: string[]; broken?: string; unclosed?: number };

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * RFC 4180 records, read a chunk at a time, each with the line it starts on (a quoted cell may
 * span lines). A quote that spans a line break and then "closes" mid-cell (`"Bob` … `,"Carol"`)
 * was never meant to be closed: that record is marked broken and reading resumes on the line after
 * the quote. To resume there, the text of an open quote is held until it closes, so memory stays
 * flat unless a quote is left open; everything else is let go as soon as it is read.
 */
export class CsvTokenizer {
  /** Text not read yet: at most the one character a decision waits on, between chunks. */
  private text = '';
  private at = 0;
  private cells: string[] = [];
  private cell = '';
  private line = 1;
  private start = 1;
  /** The open quote: its line and the raw text after it, `""` pairs still doubled. */
  private quote: { line: number; held: string[] } | undefined;
  private began = false;
  private records: CsvRecord[] = [];

  /** The records this chunk completes. */
  push(chunk: string): CsvRecord[] {
    // A byte-order mark (Excel's "CSV UTF-8") is not part of the first cell.
    if (!this.began && chunk !== '') (chunk = chunk.replace(/^\uFEFF/, '')), (this.began = true);
    this.text = this.text.slice(this.at) + chunk;
    this.at = 0;
    this.scan(false);
    return this.take();
  }

  /** The records left when the text ends, the last one marked `unclosed` if a quote is still open. */
  end(): CsvRecord[] {
    this.scan(true);
    if (this.quote) this.records.push({ line: this.start, cells: [...this.cells, ''], unclosed: this.quote.line });
    else if (this.cell !== '' || this.cells.length) this.finishRecord();
    this.quote = undefined;
    return this.take();
  }

  private take(): CsvRecord[] {
    const records = this.records;
    this.records = [];
    return records;
  }

  private scan(ended: boolean): void {
    while (this.at < this.text.length) {
      const waiting = this.quote ? this.scanQuoted(ended) : this.scanPlain(ended);
      if (waiting) return;
    }
  }

  /** Unquoted text up to the next comma, line end or opening quote; true when it must wait for more. */
  private scanPlain(ended: boolean): boolean {
    const text = this.text;
    let from = this.at;
    for (let i = from; i < text.length; i += 1) {
      const c = text.charCodeAt(i);
      if (c === QUOTE && i === from && this.cell === '') {
        this.quote = { line: this.line, held: [] };
        this.at = i + 1;
        return false;
      }
      if (c === COMMA) {
        this.cells.push(this.cell + text.slice(from, i));
        (this.cell = ''), (from = i + 1);
      } else if (c === LF || c === CR) {
        this.cell += text.slice(from, i);
        if (c === CR && i + 1 === text.length && !ended) return (this.at = i), true; // is a LF next?
        this.at = c === CR && text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
        this.finishRecord();
        return false;
      }
    }
    this.cell += text.slice(from);
    this.at = text.length;
    return false;
  }

  /** Inside a quote: up to its closing quote; true when it must wait for more. */
  private scanQuoted(ended: boolean): boolean {
    const quote = this.quote!;
    const text = this.text;
    for (;;) {
      const q = text.indexOf('"', this.at);
      const upTo = q === -1 ? text.length : q;
      this.hold(text.slice(this.at, upTo));
      this.at = upTo;
      if (q === -1 || (q + 1 === text.length && !ended)) return true; // is a second quote next?
      const next = text[q + 1] ?? '';
      if (next === '"') {
        quote.held.push('""');
        this.at = q + 2;
      } else if (this.line > quote.line && next !== ',' && next !== '\r' && next !== '\n' && next !== '') {
        this.resumeAfterQuoteLine(text.slice(q));
        return false;
      } else {
        this.cell = quote.held.join('').replaceAll('""', '"');
        this.quote = undefined;
        this.at = q + 1;
        return false;
      }
    }
  }

  private hold(part: string): void {
    if (part === '') return;
    this.quote!.held.push(part);
    for (let i = part.indexOf('\n'); i !== -1; i = part.indexOf('\n', i + 1)) this.line += 1;
  }

  /** The broken record is reported; the lines after the quote's line are read again as records. */
  private resumeAfterQuoteLine(rest: string): void {
    const quote = this.quote!;
    this.records.push({ line: this.start, cells: [], broken: `unclosed quote starting on line ${quote.line}: close it, or double a quote inside a cell ("")` });
    const raw = quote.held.join('') + rest;
    this.text = raw.slice(raw.indexOf('\n') + 1);
    this.at = 0;
    (this.quote = undefined), (this.cells = []), (this.cell = '');
    this.line = quote.line + 1;
    this.start = this.line;
  }

  private finishRecord(): void {
    this.cells.push(this.cell);
    this.records.push({ line: this.start, cells: this.cells });
    (this.cells = []), (this.cell = '');
    this.line += 1;
    this.start = this.line;
  }
}

/** Every record of a whole text (a small file read at once). */
export function csvRecords(text: string): CsvRecord[] {
  const tokenizer = new CsvTokenizer();
  return [...tokenizer.push(text), ...tokenizer.end()];
}

/** The records of a stream of text chunks (a file read with an encoding), a batch per chunk. */
export async function* csvRecordBatches(chunks: AsyncIterable<string>): AsyncGenerator<CsvRecord[]> {
  const tokenizer = new CsvTokenizer();
  for await (const chunk of chunks) {
    const records = tokenizer.push(chunk);
    if (records.length) yield records;
  }
  yield tokenizer.end();
}
