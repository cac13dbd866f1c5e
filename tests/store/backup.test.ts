import { copyFileSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliWithStderr } from '../hostile/harness.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

/**
 * `digest backup --out FILE`: a consistent, private copy of the live database, made while another
 * connection keeps writing to it, and a restore that brings the subscribers back.
 */
let ws: Workspace;
beforeEach(() => {
  ws = createWorkspace();
});
afterEach(() => ws.cleanup());

const mode = (file: string) => statSync(file).mode & 0o777;
const database = () => join(ws.env.DATA_DIR!, 'digest.sqlite');

describe('the database file', () => {
  it('is created readable by its owner only, in a folder only its owner can enter', async () => {
    (await ws.app()).close();
    expect(mode(database())).toBe(0o600);
    expect(mode(ws.env.DATA_DIR!)).toBe(0o700);
  });
});

describe('digest backup', () => {
  it('copies the live database, with writes in the WAL, into a 0600 file that opens and checks ok', async () => {
    const app = await ws.app();
    await app.store.upsertSubscribers(Array.from({ length: 2000 }, (_, i) => ({ email: `r${i}@example.org`, status: 'active' as const })), new Date());
    // Another process's connection, still writing while the backup runs; its committed rows sit in the -wal file.
    const writer = new Database(database());
    writer.pragma('wal_autocheckpoint = 0');
    const insert = writer.prepare("INSERT INTO meta (key, value) VALUES (?, 'x')");
    let written = 0;
    const busy = setInterval(() => insert.run(`k${written++}`), 1);
    const out = join(ws.dir, 'backup.sqlite');
    const result = await cliWithStderr(ws, ['backup', '--out', out]);
    clearInterval(busy);
    writer.close();
    await app.close();
    expect(result.code).toBe(0);
    expect(result.output).toContain(`to ${out} (`);
    expect(result.output).toContain('To restore: stop digest, copy it to');
    expect(mode(out)).toBe(0o600);
    const copy = new Database(out, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((copy.prepare('SELECT count(*) AS n FROM subscribers').get() as { n: number }).n).toBe(2000);
    copy.close();
  });

  it('never overwrites a file, and says so', async () => {
    (await ws.app()).close();
    const out = join(ws.dir, 'old-backup.sqlite');
    writeFileSync(out, 'an older backup');
    const result = await cliWithStderr(ws, ['backup', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`digest backup: ${out} already exists: name a new file`);
  });

  it('names a missing database instead of making an empty one', async () => {
    const result = await cliWithStderr(ws, ['backup', '--out', join(ws.dir, 'b.sqlite')]);
    expect(result.code).toBe(1);
    expect(result.output).toContain('There is no database at');
    expect(existsSync(join(ws.dir, 'b.sqlite'))).toBe(false);
  });

  it('the documented restore brings the list back', async () => {
    const app = await ws.app();
    await app.store.upsertSubscribers([{ email: 'ada@example.org', status: 'active' }], new Date());
    await app.close();
    const out = join(ws.dir, 'backup.sqlite');
    expect((await cliWithStderr(ws, ['backup', '--out', out])).code).toBe(0);
    expect((await cliWithStderr(ws, ['subscribers', 'remove', 'ada@example.org'])).code).toBe(0);
    // stop digest, copy the backup over the database, delete the -wal and -shm files, start digest
    copyFileSync(out, database());
    rmSync(`${database()}-wal`, { force: true });
    rmSync(`${database()}-shm`, { force: true });
    expect((await cliWithStderr(ws, ['subscribers', 'list'])).output).toContain('ada@example.org');
  });
});
