import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliWithStderr } from '../hostile/harness.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

/**
 * What `subscribers add` / `import` accept (QA findings): a cadence without a schedule is refused
 * naming the variable to set, unknown topics are accepted with a warning, a missing address gets
 * the usage line, broken CSV rows are named for what is wrong, and a re-import counts unchanged rows.
 */
let ws: Workspace;
afterEach(() => ws.cleanup());

const run = (...args: string[]) => cliWithStderr(ws, args);
const csv = (text: string) => {
  const file = join(ws.dir, 'in.csv');
  writeFileSync(file, text);
  return file;
};

describe('cadences need a schedule', () => {
  it('add --cadence daily/monthly is refused while its schedule is unset, accepted once set', async () => {
    ws = createWorkspace();
    const daily = await run('subscribers', 'add', 'x@y.org', '--cadence', 'daily');
    expect(daily.code).toBe(1);
    expect(daily.output).toContain('cadence "daily" has no schedule');
    expect(daily.output).toContain('set DIGEST_DAILY_SCHEDULE');
    const monthly = await run('subscribers', 'add', 'x@y.org', '--cadence', 'monthly');
    expect(monthly.output).toContain('set DIGEST_MONTHLY_SCHEDULE');
    expect((await run('subscribers', 'list')).output).toContain('0 subscribers');
    ws.env.DIGEST_DAILY_SCHEDULE = '0 7 * * *';
    expect((await run('subscribers', 'add', 'x@y.org', '--cadence', 'daily')).code).toBe(0);
    expect((await run('subscribers', 'list')).output).toContain('x@y.org\t\tactive\tdaily');
  });

  it('CSV rows with an unscheduled cadence are rejected by line, the rest imported', async () => {
    ws = createWorkspace({ DIGEST_MONTHLY_SCHEDULE: '0 8 1 * *' });
    const result = await run('subscribers', 'import', csv('email,cadence\na@y.org,daily\nb@y.org,monthly\nc@y.org,weekly\n'));
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/in\.csv:2: cadence "daily" has no schedule.*DIGEST_DAILY_SCHEDULE/);
    expect(result.output).toContain('2 added, 0 updated, 1 rejected');
  });
});

describe('topics and addresses', () => {
  it('an unknown topic is accepted with a warning naming it and the known ones', async () => {
    ws = createWorkspace();
    const result = await run('subscribers', 'add', 'x@y.org', '--categories', 'Nonexistent,Trade');
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/Warning: no post uses the topic "Nonexistent".*known topics: .*Trade/);
    expect(result.output).not.toMatch(/"Trade"/);
    const known = await run('subscribers', 'add', 'z@y.org', '--categories', 'trade');
    expect(known.output).not.toContain('Warning');
    const imported = await run('subscribers', 'import', csv('email,categories\na@y.org,Gardening;Trade\n'));
    expect(imported.output).toContain('no post uses the topic "Gardening"');
  });

  it('add with no address names what is missing and where the help is', async () => {
    ws = createWorkspace();
    const result = await run('subscribers', 'add');
    expect(result.code).toBe(1);
    expect(result.output).toContain('digest subscribers add: missing required argument email\nSee: digest subscribers add --help');
    expect(result.output).not.toContain('The address ""');
  });
});

describe('CSV rows named for what is wrong with them', () => {
  it('an unclosed quote is named with its line, and the next row is still read', async () => {
    ws = createWorkspace();
    const result = await run('subscribers', 'import', csv('email,name\nada@example.org,Ada\nbob@example.org,"Bob\ncarol@example.org,"Carol"\ndave@example.org,Dave\n'));
    expect(result.code).toBe(1);
    expect(result.output).toContain('in.csv:3: unclosed quote starting on line 3');
    expect(result.output).not.toContain('control character');
    const list = (await run('subscribers', 'list')).output;
    for (const address of ['ada@example.org', 'carol@example.org', 'dave@example.org']) expect(list).toContain(address);
    expect(list).not.toContain('bob@example.org');
  });

  it('problems are listed in line order, whichever check found them', async () => {
    ws = createWorkspace();
    const result = await run('subscribers', 'import', csv('email,name\nnot-an-address,X\nbad@@example.org,Y\nbob@example.org,"Bob\ncarol@example.org,C\n'));
    const lines = result.output.split('\n').filter((line) => line.includes('in.csv:')).map((line) => Number(/in\.csv:(\d+):/.exec(line)?.[1]));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('a row with more cells than the header says so', async () => {
    ws = createWorkspace();
    const result = await run('subscribers', 'import', csv('email,name,categories,cadence,status\nada@example.org,Doe, Ada,Trade,weekly,active\nbob@example.org,Bob,,,\n'));
    expect(result.output).toContain('in.csv:2: has 6 cells but the header has 5');
    expect(result.output).not.toContain('cadence "');
    expect(result.output).toContain('1 added');
  });

  it('re-importing an unchanged export counts the rows as unchanged, a changed one as updated', async () => {
    ws = createWorkspace();
    await run('subscribers', 'import', csv('email,name,categories\na@y.org,A,Trade\nb@y.org,B,\nc@y.org,C,Trade;Diplomacy\n'));
    const exported = (await run('subscribers', 'export')).output.trim();
    const again = await run('subscribers', 'import', csv(`${exported}\n`));
    expect(again.output).toContain('Imported 3 rows');
    expect(again.output).toContain('0 added, 0 updated, 3 unchanged, 0 rejected');
    const changed = await run('subscribers', 'import', csv(`${exported.replace('b@y.org,B', 'b@y.org,Bea')}\n`));
    expect(changed.output).toContain('0 added, 1 updated, 2 unchanged, 0 rejected');
  });
});
