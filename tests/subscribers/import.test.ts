import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { importSubscriberFile } from '../../src/subscribers/import.js';
import { STORE_KINDS, useStores } from '../store/stores.js';

/**
 * A CSV file streamed into each store (real files, real SQLite and PostgreSQL): a file far larger
 * than one read, with a bad row near its end, still names that row's line and writes every other
 * row once; quoted line breaks and CR LF keep the line numbers right; a quote never closed stops
 * the reading there and writes the rows before it.
 */
const stores = useStores();
afterEach(() => stores.close());
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'digest-import-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T = new Date('2026-12-01T09:00:00Z');

async function importText(store: Store, text: string) {
  const file = join(dir, 'list.csv');
  writeFileSync(file, text);
  const rejected: string[] = [];
  const counts = await importSubscriberFile(store, file, { now: T, reject: (line, reason) => rejected.push(`${line}: ${reason}`) });
  return { counts, rejected };
}

/** `rows` readers, the one on line `badLine` (if any) with an address that is not one. */
function generated(rows: number, badLine?: number): string {
  const lines = ['email,name,categories,cadence,status'];
  for (let i = 0; i < rows; i += 1) lines.push(lines.length + 1 === badLine ? `reader${i}-at-example.org,Bad,,,` : `reader${i}@example.org,"Reader, ${i}",Trade;Sanctions,weekly,active`);
  return `${lines.join('\n')}\n`;
}

/** Every 7th reader's name spans two lines, so physical lines run ahead of records; the bad row comes after `bad` readers. */
function multiline(rows: number, bad: number): { text: string; badLine: number } {
  const lines = ['email,name'];
  let physical = 1;
  let badLine = 0;
  for (let i = 0; i < rows; i += 1) {
    if (i === bad) (badLine = physical + 1), lines.push('nobody-at-example.org,Bad');
    else lines.push(i % 7 === 0 ? `reader${i}@example.org,"Reader\r\n${i}"` : `reader${i}@example.org,Reader ${i}`);
    physical += i % 7 === 0 && i !== bad ? 2 : 1;
  }
  return { text: `${lines.join('\r\n')}\r\n`, badLine };
}

describe.each(STORE_KINDS)('%s: importing a CSV file', (kind) => {
  it('50,000 rows with a bad one near the end: its line is named, every other row written once', async () => {
    const store = await stores.open(kind);
    const { counts, rejected } = await importText(store, generated(50_000, 49_990));
    expect(rejected).toEqual(['49990: email "reader49988-at-example.org" must contain exactly one @ with a name before it']);
    expect(counts).toMatchObject({ rows: 49_999, added: 49_999, rejected: 1, topics: ['Trade', 'Sanctions'] });
    expect(await store.countSubscribers()).toMatchObject({ active: 49_999 });
    expect(await store.findSubscriber('reader49999@example.org')).toMatchObject({ name: 'Reader, 49999', categories: ['Trade', 'Sanctions'] });
    expect(await store.findSubscriber('reader49988@example.org')).toBeUndefined();
  });

  it('quoted line breaks, a BOM and CR LF: rows read whole, a later bad row named by its physical line', async () => {
    const store = await stores.open(kind);
    const text = '\uFEFFemail,name,categories\r\nada@example.org,"Ada\r\nLovelace",Trade\r\nbob@example.org,Bob,"Trade;\r\nSanctions"\r\nnobody,Nobody,\r\n';
    const { counts, rejected } = await importText(store, text);
    expect(rejected).toEqual(['6: email "nobody" must contain exactly one @ with a name before it']);
    expect(counts).toMatchObject({ rows: 2, added: 2 });
    expect(await store.findSubscriber('ada@example.org')).toMatchObject({ name: 'Ada Lovelace' });
    expect(await store.findSubscriber('bob@example.org')).toMatchObject({ categories: ['Trade', 'Sanctions'] });
  });

  it('40,000 rows, thousands of quoted line breaks across the file\'s chunks: a bad row near the end is named by its physical line', async () => {
    const store = await stores.open(kind);
    const { text, badLine } = multiline(40_000, 39_990);
    const { counts, rejected } = await importText(store, text);
    expect(rejected).toEqual([`${badLine}: email "nobody-at-example.org" must contain exactly one @ with a name before it`]);
    expect(badLine).toBeGreaterThan(39_990 + 5_000);
    expect(counts).toMatchObject({ rows: 39_999, added: 39_999 });
    expect(await store.findSubscriber('reader39997@example.org')).toMatchObject({ name: 'Reader 39997' });
  });

  it('a quote never closed, thousands of rows from the end: the rows before it are written, the rest named as unread', async () => {
    const store = await stores.open(kind);
    const later = Array.from({ length: 5_000 }, (_, i) => `later${i}@example.org,Later ${i}`).join('\n');
    const { counts, rejected } = await importText(store, `${generated(3_000)}open@example.org,"Open\n${later}\n`);
    expect(rejected).toEqual([expect.stringMatching(/^3002: a quote opened in this row is never closed \(unclosed quote starting on line 3002\), so no row from here on was read/)]);
    expect(counts).toMatchObject({ rows: 3_000, added: 3_000, rejected: 1 });
    expect(await store.findSubscriber('later0@example.org')).toBeUndefined();
  });

  it('a quote left open until a later quoted cell thousands of lines on: that row is named, every row after it read', async () => {
    const store = await stores.open(kind);
    const later = generated(5_000).split('\n').slice(1).join('\n').replaceAll('reader', 'later');
    const { counts, rejected } = await importText(store, `${generated(3_000)}open@example.org,"Open\n${later}`);
    expect(rejected).toEqual(['3002: unclosed quote starting on line 3002: close it, or double a quote inside a cell ("")']);
    expect(counts).toMatchObject({ rows: 8_000, added: 8_000, rejected: 1 });
    expect(await store.findSubscriber('later0@example.org')).toMatchObject({ name: 'Reader, 0' });
    expect(await store.findSubscriber('open@example.org')).toBeUndefined();
  });
});
