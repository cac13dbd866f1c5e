import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWorkspace, type Workspace } from '../support/workspace.js';

let ws: Workspace;
/** Daily and monthly rows are accepted only when those cadences have a schedule. */
const SCHEDULES = { DIGEST_DAILY_SCHEDULE: '0 7 * * *', DIGEST_MONTHLY_SCHEDULE: '0 8 1 * *' };

beforeEach(() => {
  ws = createWorkspace(SCHEDULES);
});
afterEach(() => ws.cleanup());

const CSV = [
  'email,name,categories,cadence,status',
  'Alice@Example.com,Alice,Trade;Sanctions,weekly,active',
  '"""quoted@at""@example.com",Quoted,,,',
  'alice@example.com,Alice Again,Trade,,',
  'bob@bücher.example,"Bob, Jr.",Surveillance,monthly,',
  'Group: g@example.org;,Group,,,',
  'carol@example.org,Carol,,daily,unsubscribed',
  'dave@example.org,Dave,,hourly,',
  'eve@example.org,=HYPERLINK("x"),,,pending',
  `${'x'.repeat(250)}@example.org,Long,,,`,
  'not-an-address,Nobody,,,',
  '',
].join('\n');

function write(name: string, text: string): string {
  const file = join(ws.dir, name);
  writeFileSync(file, text);
  return file;
}

describe('digest subscribers import / export', () => {
  it('reports each bad row with its line and reason, imports the rest at once, merges case variants', async () => {
    const file = write('list.csv', CSV);
    const result = await ws.cli('subscribers', 'import', file);
    expect(result.code).toBe(1);
    const rejected = result.output.split('\n').filter((l) => l.startsWith(`${file}:`));
    expect(rejected.map((l) => Number(l.slice(file.length + 1).split(':')[0]))).toEqual([3, 6, 8, 10, 11]);
    expect(result.output).toMatch(/:8: cadence "hourly" must be one of daily, weekly, monthly/);
    expect(result.output).toContain('Imported 4 rows'); // two spellings of Alice are one row
    const list = await ws.cli('subscribers', 'list');
    expect(list.output).toContain('alice@example.com\tAlice Again\tactive\tweekly\tTrade');
    expect(list.output).toContain('bob@xn--bcher-kva.example\tBob, Jr.');
    expect(list.output).toMatch(/4 subscribers$/);
  });

  it('export round-trips through import unchanged, formulas included', async () => {
    await ws.cli('subscribers', 'import', write('list.csv', CSV));
    const first = (await ws.cli('subscribers', 'export')).output;
    expect(first).toContain(`"'=HYPERLINK(""x"")"`);
    const other = createWorkspace(SCHEDULES);
    try {
      writeFileSync(join(other.dir, 'export.csv'), `${first}\n`);
      const imported = await other.cli('subscribers', 'import', join(other.dir, 'export.csv'));
      expect(imported.code).toBe(0);
      expect((await other.cli('subscribers', 'export')).output).toBe(first);
    } finally {
      other.cleanup();
    }
  });

  it('export streams a long list in chunks: every row once, in order, none cut at a chunk boundary', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `reader${String(i).padStart(4, '0')}@example.org,"Reader, No. ${i}",Trade;Sanctions,weekly`);
    await ws.cli('subscribers', 'import', write('long.csv', `email,name,categories,cadence\n${rows.join('\n')}\n`));
    const lines = (await ws.cli('subscribers', 'export')).output.split('\n');
    expect(lines[0]).toBe('email,name,categories,cadence,status');
    expect(lines.slice(1)).toEqual(rows.map((row) => `${row},active`));
  });

  it('export writes its next chunk only once the one before has been taken (stdout drained)', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `reader${String(i).padStart(4, '0')}@example.org,Reader ${i},Trade,weekly`);
    await ws.cli('subscribers', 'import', write('long.csv', `email,name,categories,cadence\n${rows.join('\n')}\n`));
    const chunks: string[] = [];
    let taken: ((open: boolean) => void) | undefined;
    let slowReader = true;
    const drained = () => (slowReader ? new Promise<boolean>((resolve) => (taken = resolve)) : Promise.resolve(true));
    const running = ws.cliWith({ print: (chunk) => chunks.push(chunk), drained }, 'subscribers', 'export');
    await vi.waitFor(() => expect(taken).toBeDefined());
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(chunks).toHaveLength(1);
    slowReader = false;
    taken!(true);
    expect(await running).toBe(0);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('\n').split('\n').slice(1)).toEqual(rows.map((row) => `${row},active`));
  });

  it('list filters by status and topic; stats counts; remove takes any case of the address', async () => {
    await ws.cli('subscribers', 'import', write('list.csv', CSV));
    expect((await ws.cli('subscribers', 'list', '--status', 'unsubscribed')).output).toBe('carol@example.org\tCarol\tunsubscribed\tdaily\t(all topics)\n1 subscriber');
    const trade = (await ws.cli('subscribers', 'list', '--status', 'active', '--topic', 'trade')).output;
    expect(trade).toContain('alice@example.com');
    expect(trade).not.toContain('bob@');
    expect((await ws.cli('subscribers', 'list', '--status', 'gone')).code).toBe(1);
    const stats = (await ws.cli('subscribers', 'stats')).output;
    expect(stats).toContain('Subscribers: 4');
    expect(stats).toContain('by status: pending 1, active 2, unsubscribed 1, bounced 0');
    expect(stats).toContain('active by cadence: daily 0, weekly 1, monthly 1');
    expect(stats).toContain('active by topic: Surveillance 1, Trade 1; every topic: 0');
    expect((await ws.cli('subscribers', 'remove', 'ALICE@example.COM')).output).toBe('Removed alice@example.com.');
    expect((await ws.cli('subscribers', 'remove', 'alice@example.com')).code).toBe(1);
  });
});
