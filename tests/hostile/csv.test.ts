import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { post } from '../support/workspace.js';
import { hostile, hoursAgo, type Hostile } from './harness.js';

/**
 * Hostile subscriber CSV files through `digest subscribers import` (and back out through `export`):
 * every rejected row is named by its line, no row is dropped without a word, and nothing a
 * spreadsheet would run comes back out as a formula.
 */
let h: Hostile;
beforeEach(async () => {
  h = await hostile();
});
afterEach(() => h.close());

async function importCsv(content: string | Buffer) {
  const file = join(h.ws.dir, 'in.csv');
  writeFileSync(file, content);
  return h.cli('subscribers', 'import', file);
}

const list = async () => (await h.cli('subscribers', 'list')).output;

const cases: { name: string; csv: string; code: number; says: string[]; listed: string[]; notListed?: string[] }[] = [
  {
    name: 'an unclosed quote does not silently swallow the rows after it',
    csv: 'email,name\nada@example.org,Ada\nbob@example.org,"Bob\ncarol@example.org,Carol\ndave@example.org,Dave\n',
    code: 1,
    says: ['in.csv:3: a quote opened in this row is never closed'],
    listed: ['ada@example.org', '1 subscriber'],
    notListed: ['bob@example.org'],
  },
  {
    name: 'a 10,000-colon group cell is rejected by its line',
    csv: `email,name\n${'g:'.repeat(10_000)}x@example.org;,Group\nok@example.org,Ok\n`,
    code: 1,
    says: ['in.csv:2: email "g:g:', 'longer than 254 characters', '1 added, 0 updated, 1 rejected'],
    listed: ['ok@example.org'],
  },
  {
    name: 'HTML, NUL bytes and CR LF in names and topics are flattened to text',
    csv: 'email,name,categories\nada@example.org,"<script>alert(1)</script>Ada\u0000 Love\r\nlace","<b>Trade</b>;Dip\u0000lomacy"\n',
    code: 0,
    says: ['1 added'],
    listed: ['ada@example.org\tAda Love lace\tactive\tweekly\tTrade;Dip lomacy'],
  },
  { name: 'a name cell of 1,000,000 "<" (tag stripping was quadratic: minutes)', csv: `email,name\nada@example.org,${'<'.repeat(1_000_000)}\n`, code: 1, says: ['in.csv:2: name is longer than 100 characters'], listed: ['0 subscribers'] },
  { name: 'a name over 100 characters is rejected', csv: `email,name\nada@example.org,${'n'.repeat(101)}\n`, code: 1, says: ['in.csv:2: name is longer than 100 characters'], listed: ['0 subscribers'] },
  { name: 'an unknown column is reported, known ones still read', csv: 'email,name,password\nada@example.org,Ada,hunter2\n', code: 1, says: ['in.csv:1: unknown column "password"'], listed: ['ada@example.org'] },
  { name: 'no header row', csv: 'ada@example.org,Ada\n', code: 1, says: ['in.csv:1: the first row must be a header'], listed: ['0 subscribers'] },
  { name: 'an empty file', csv: '', code: 1, says: ['in.csv:1: the first row must be a header', '1 rejected'], listed: ['0 subscribers'] },
  { name: 'a bad cadence and a bad status are named', csv: 'email,cadence,status\na@example.org,hourly,\nb@example.org,,root\n', code: 1, says: ['in.csv:2: cadence "hourly"', 'in.csv:3: status "root"'], listed: ['0 subscribers'] },
  { name: 'a BOM and CRLF line endings are fine', csv: '\uFEFFemail,name\r\nada@example.org,Ada\r\nbob@example.org,Bob\r\n', code: 0, says: ['2 added'], listed: ['2 subscribers'] },
];

describe('hostile CSV imports', () => {
  it.each(cases)('$name', async ({ csv, code, says, listed, notListed = [] }) => {
    const run = await importCsv(csv);
    expect(run.code).toBe(code);
    for (const text of says) expect(run.output).toContain(text);
    const shown = await list();
    for (const text of listed) expect(shown).toContain(text);
    for (const text of notListed) expect(shown).not.toContain(text);
  });

  it('names that look like spreadsheet formulas are exported defused', async () => {
    await importCsv('email,name\na@example.org,"=HYPERLINK(""http://evil.example"",""x"")"\nb@example.org,+cmd|\' /C calc\'!A0\nc@example.org,@SUM(1)\nd@example.org,-2+3\n');
    const exported = (await h.cli('subscribers', 'export')).output.trim().split('\n').slice(1);
    expect(exported).toHaveLength(4);
    for (const row of exported) expect(row.split(',')[1]).toMatch(/^"?'[=+\-@]/);
    // …and an export re-imports to the same names.
    const again = join(h.ws.dir, 'again.csv');
    writeFileSync(again, `email,name,categories,cadence,status\n${exported.join('\n')}\n`);
    await h.cli('subscribers', 'import', again);
    expect(await list()).toContain('a@example.org\t=HYPERLINK("http://evil.example","x")');
  });

  it('re-importing a list without a status column never re-subscribes someone who left', async () => {
    await importCsv('email,name\nada@example.org,Ada\nbob@example.org,Bob\n');
    const app = await h.ws.app();
    const ada = await app.store.findSubscriber('ada@example.org');
    await app.store.setStatus(ada!.id, 'unsubscribed', new Date());
    await app.close();
    await importCsv('email,name\nada@example.org,Ada Again\nbob@example.org,Bob\n');
    h.ws.writePost('p.md', post({ title: 'After re-import', date: hoursAgo(1) }));
    await h.cli('send');
    expect(h.smtp.received.map((r) => r.to)).toEqual([['bob@example.org']]);
  });
});
