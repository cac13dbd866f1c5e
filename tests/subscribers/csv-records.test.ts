import { describe, expect, it } from 'vitest';
import { csvRecordBatches, csvRecords, CsvTokenizer, type CsvRecord } from '../../src/subscribers/csv-records.js';

/**
 * The CSV tokenizer reads a file a chunk at a time, so every decision that looks past a chunk's
 * end (a quote doubled or closing, CR LF, a quote that spans lines and must be read again from the
 * line after it) must carry over. Each text is fed whole and in chunks of 1, 2, 3 and 7 characters:
 * the records must be the same, with the line each starts on.
 */
function inChunks(text: string, size: number): CsvRecord[] {
  const tokenizer = new CsvTokenizer();
  const records: CsvRecord[] = [];
  for (let i = 0; i < text.length; i += size) records.push(...tokenizer.push(text.slice(i, i + size)));
  return [...records, ...tokenizer.end()];
}

const cases: { name: string; text: string; records: CsvRecord[] }[] = [
  {
    name: 'plain rows, an empty line, a last row without a line end',
    text: 'email,name\na@x.org,Ada\n\nb@x.org,Bob',
    records: [
      { line: 1, cells: ['email', 'name'] },
      { line: 2, cells: ['a@x.org', 'Ada'] },
      { line: 3, cells: [''] },
      { line: 4, cells: ['b@x.org', 'Bob'] },
    ],
  },
  {
    name: 'quoted cells with newlines, doubled quotes and commas; the next record starts on its physical line',
    text: 'email,name\na@x.org,"Ada\nLove ""Count""\nlace, Jr."\nb@x.org,"""Bob"""\nc@x.org,""\n',
    records: [
      { line: 1, cells: ['email', 'name'] },
      { line: 2, cells: ['a@x.org', 'Ada\nLove "Count"\nlace, Jr.'] },
      { line: 5, cells: ['b@x.org', '"Bob"'] },
      { line: 6, cells: ['c@x.org', ''] },
    ],
  },
  {
    name: 'a byte-order mark and CR LF line ends, a CR LF inside quotes kept',
    text: '\uFEFFemail,name\r\na@x.org,"A\r\nB"\r\nb@x.org,Bob\r\n',
    records: [
      { line: 1, cells: ['email', 'name'] },
      { line: 2, cells: ['a@x.org', 'A\r\nB'] },
      { line: 4, cells: ['b@x.org', 'Bob'] },
    ],
  },
  {
    name: 'a lone CR ends a record (old Mac files)',
    text: 'email\ra@x.org\rb@x.org',
    records: [
      { line: 1, cells: ['email'] },
      { line: 2, cells: ['a@x.org'] },
      { line: 3, cells: ['b@x.org'] },
    ],
  },
  {
    name: 'a quote inside an unquoted cell is text',
    text: 'email,name\na@x.org,5" screen\n',
    records: [
      { line: 1, cells: ['email', 'name'] },
      { line: 2, cells: ['a@x.org', '5" screen'] },
    ],
  },
  {
    name: 'a quote left open until a later quoted cell: that row is broken, reading resumes on the line after it',
    text: 'email,name\na@x.org,"Ada\nb@x.org,Bob\nc@x.org,"Carol"\n',
    records: [
      { line: 1, cells: ['email', 'name'] },
      { line: 2, cells: [], broken: 'unclosed quote starting on line 2: close it, or double a quote inside a cell ("")' },
      { line: 3, cells: ['b@x.org', 'Bob'] },
      { line: 4, cells: ['c@x.org', 'Carol'] },
    ],
  },
  {
    name: 'a quote never closed swallows the rest: one last record, marked with the quote line',
    text: 'email,name\na@x.org,Ada\nb@x.org,"Bob\nc@x.org,Carol\n',
    records: [
      { line: 1, cells: ['email', 'name'] },
      { line: 2, cells: ['a@x.org', 'Ada'] },
      { line: 3, cells: ['b@x.org', ''], unclosed: 3 },
    ],
  },
];

describe('CSV tokenizer', () => {
  it.each(cases)('$name', ({ text, records }) => {
    expect(csvRecords(text)).toEqual(records);
    for (const size of [1, 2, 3, 7]) expect(inChunks(text, size), `in chunks of ${size}`).toEqual(records);
  });

  it('a quote that spans many chunks and then proves broken is read again from the line after it', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => `r${i}@x.org,Reader ${i}`);
    const text = `email,name\nbad@x.org,"Open\n${rows.join('\n')}\nlast@x.org,"Last"\n`;
    async function* chunks() {
      for (let i = 0; i < text.length; i += 5) yield text.slice(i, i + 5);
    }
    const records: CsvRecord[] = [];
    for await (const batch of csvRecordBatches(chunks())) records.push(...batch);
    expect(records[1]).toMatchObject({ line: 2, broken: expect.stringContaining('line 2') });
    expect(records.slice(2, 4)).toEqual([
      { line: 3, cells: ['r0@x.org', 'Reader 0'] },
      { line: 4, cells: ['r1@x.org', 'Reader 1'] },
    ]);
    expect(records.at(-1)).toEqual({ line: 503, cells: ['last@x.org', 'Last'] });
    expect(records).toHaveLength(503);
  });

  it('a multi-byte character split between chunks of a file stream is read whole', async () => {
    const bytes = Buffer.from('email,name\nb@x.org,Bücher 🙂\n');
    const { Readable } = await import('node:stream');
    const stream = Readable.from(Array.from(bytes, (b) => Buffer.from([b]))).setEncoding('utf8');
    const records: CsvRecord[] = [];
    for await (const batch of csvRecordBatches(stream)) records.push(...batch);
    expect(records[1]).toEqual({ line: 2, cells: ['b@x.org', 'Bücher 🙂'] });
  });
});
