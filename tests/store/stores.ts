import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Post } from '../../src/posts/post.js';
import { openPostgresStore } from '../../src/store/pg/index.js';
import { DATABASE_FILE, openSqliteStore } from '../../src/store/sqlite/index.js';
import type { NewEdition, Store } from '../../src/store/store.js';
import { freshDatabase, query, type TestDatabase } from '../support/postgres.js';

/**
 * Both stores, each opened fresh for a test: SQLite in a temporary folder, PostgreSQL in this
 * file's database (tests/support/postgres.ts) emptied between tests. Call `useStores()` once at
 * the top of a file; its `open` pairs with `close` in an afterEach.
 */
export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: StoreKind[] = ['sqlite', 'postgres'];

const TABLES = 'meta, subscribers, editions, post_ledger, segments, deliveries, workers, ticks, feeds, feed_items, bounce_events';

export function useStores() {
  let database: TestDatabase | undefined;
  const opened: { store: Store; cleanup: () => Promise<void> }[] = [];
  let sqliteDir: string | undefined;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });
  return {
    url: () => database!.url,
    async open(kind: StoreKind): Promise<Store> {
      if (kind === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'digest-store-'));
        sqliteDir = dir;
        const store = openSqliteStore(dir);
        opened.push({ store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) });
        return store;
      }
      const store = await openPostgresStore(database!.url, { poolSize: 8 });
      await query(database!.url, `TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`);
      opened.push({ store, cleanup: async () => undefined });
      return store;
    },
    /** Runs SQL on the database behind the store of this kind opened last, as a hand edit would. */
    async edit(kind: StoreKind, sql: string): Promise<void> {
      if (kind === 'postgres') return void (await query(database!.url, sql));
      const db = new Database(this.sqliteFile());
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
    /** The file behind the SQLite store opened last. */
    sqliteFile: () => join(sqliteDir!, DATABASE_FILE),
    /** Opens another store on the same PostgreSQL database (another process would). */
    async another(): Promise<Store> {
      const store = await openPostgresStore(database!.url, { poolSize: 8 });
      opened.push({ store, cleanup: async () => undefined });
      return store;
    },
    async close() {
      for (const { store, cleanup } of opened.splice(0)) {
        await store.close();
        await cleanup();
      }
    },
  };
}

export function samplePost(slug: string, categories: string[] = ['Trade']): Post {
  return { slug, title: `Title ${slug}`, date: new Date('2026-11-20T08:00:00Z'), author: 'A', categories, tags: [], excerpt: 'x', url: `https://blog.example.org/${slug}`, draft: false, file: `${slug}.md` };
}

export function newEdition(number: number, fields: Partial<NewEdition> = {}): NewEdition {
  return {
    number,
    cadence: 'weekly',
    createdAt: new Date('2026-12-01T08:00:00Z'),
    tickKey: null,
    subject: `Edition ${number}`,
    posts: [samplePost(`post-${number}`)],
    html: '<p>x</p>',
    text: 'x',
    baselineSlugs: [],
    ...fields,
  };
}

/** Active subscribers confirmed before the default edition time. */
export async function addReaders(store: Store, emails: string[], fields: { cadence?: 'weekly' | 'daily' } = {}): Promise<void> {
  await store.upsertSubscribers(emails.map((email) => ({ email, status: 'active' as const, ...fields })), new Date('2026-11-01T00:00:00Z'));
}
