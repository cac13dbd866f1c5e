import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, openSqliteStore } from '../../src/store/sqlite/index.js';
import { MIGRATIONS } from '../../src/store/sqlite/schema.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('subscriber ids', () => {
  it('an existing database keeps its subscribers and ids through the upgrade, and ids are never reused after it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'digest-ids-'));
    mkdirSync(dir, { recursive: true });
    const old = new Database(join(dir, DATABASE_FILE));
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    const insert = old.prepare(`INSERT INTO subscribers (id, email, categories, status, created_at, confirmed_at, status_changed_at) VALUES (?, ?, '["Trade"]', 'active', 1, 1, 1)`);
    insert.run(3, 'a@example.org');
    insert.run(7, 'b@example.org');
    old.close();

    const store = openSqliteStore(dir);
    try {
      expect(await store.findSubscriber('b@example.org')).toMatchObject({ id: 7, categories: ['Trade'], status: 'active' });
      await store.removeSubscriber('b@example.org');
      await store.upsertSubscribers([{ email: 'c@example.org' }], new Date());
      expect((await store.findSubscriber('c@example.org'))?.id).toBe(8);
    } finally {
      await store.close();
    }
  });
});
