import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../../errors.js';
import type { Pg } from './db.js';

/**
 * Plain SQL files in migrations/, applied in name order, each in its own transaction, under a
 * session advisory lock: several processes starting together wait for one another instead of
 * racing, and the ones that come second find nothing left to do. `schema_migrations` records
 * what ran. Append new files; never edit one that has shipped.
 */
const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');
/** Any fixed number, the same in every process of this program. */
const MIGRATION_LOCK = 7_310_001;

export function migrationFiles(): string[] {
  return readdirSync(MIGRATIONS_DIR).filter((name) => /^\d{4}_[\w-]+\.sql$/.test(name)).sort();
}

export async function migratePg(db: Pg): Promise<string[]> {
  const client = await db.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((row) => row.name));
    const known = migrationFiles();
    const unknown = [...done].filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new StoreError('STORE_UNUSABLE', `The database ${db.where} was migrated by a newer version of this program (${unknown.join(', ')}). Nothing was sent. Run the newer version, or restore a backup.`);
    }
    const applied: string[] = [];
    for (const name of known.filter((n) => !done.has(n))) {
      await client.query('BEGIN');
      try {
        await client.query(readFileSync(join(MIGRATIONS_DIR, name), 'utf8'));
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      applied.push(name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
