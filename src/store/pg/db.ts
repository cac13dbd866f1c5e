import pg from 'pg';
import { StoreError } from '../../errors.js';
import { postgresProblem, toPgStoreError } from './guard.js';

/**
 * A thin layer over a node-postgres pool: queries, transactions, and every failure turned into a
 * StoreError that names what to check. Times are epoch milliseconds in BIGINT columns, read back
 * as numbers, the same as in SQLite.
 */
export interface Sql {
  rows<R>(text: string, values?: unknown[]): Promise<R[]>;
  /** Rows changed (or returned). */
  run(text: string, values?: unknown[]): Promise<number>;
}

export interface Pg extends Sql {
  /** BEGIN … COMMIT on one connection (a SAVEPOINT inside a dry run's outer transaction). */
  tx<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  /** A connection of its own, for a session-level advisory lock or LISTEN. */
  connect(): Promise<pg.PoolClient>;
  /** The connection string with its password hidden, for messages. */
  readonly where: string;
  /** One connection inside a transaction that is rolled back at the end. */
  readonly dryRun: boolean;
  end(): Promise<void>;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 && format !== 'binary' ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};

export function hidePassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'DATABASE_URL';
  }
}

function over(query: (text: string, values?: unknown[]) => Promise<pg.QueryResult>, where: string): Sql {
  const guarded = async (text: string, values?: unknown[]) => {
    try {
      return await query(text, values);
    } catch (error) {
      throw toPgStoreError(error, where);
    }
  };
  return {
    rows: async <R>(text: string, values?: unknown[]) => (await guarded(text, values)).rows as R[],
    run: async (text, values) => (await guarded(text, values)).rowCount ?? 0,
  };
}

export async function connectPg(url: string, options: { poolSize: number; dryRun: boolean }): Promise<Pg> {
  const where = hidePassword(url);
  const pool = new pg.Pool({ connectionString: url, max: options.dryRun ? 1 : options.poolSize, types, connectionTimeoutMillis: 10_000 });
  // An idle connection the server dropped (restart, failover): the pool replaces it; the next query reports.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (cause) {
    await pool.end().catch(() => undefined);
    const { reason, advice } = postgresProblem(cause);
    throw new StoreError('STORE_UNUSABLE', `The database ${where} cannot be used (${reason}). Nothing was sent. ${advice}`, { cause });
  }
  return options.dryRun ? dryRunPg(pool, where) : pooledPg(pool, where);
}

function pooledPg(pool: pg.Pool, where: string): Pg {
  return {
    ...over((text, values) => pool.query(text, values), where),
    where,
    dryRun: false,
    async tx(work) {
      const client = await connectOrThrow(pool, where);
      try {
        await client.query('BEGIN');
        const result = await work(over((text, values) => client.query(text, values), where));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw toPgStoreError(error, where);
      } finally {
        client.release();
      }
    },
    connect: () => connectOrThrow(pool, where),
    end: () => pool.end(),
  };
}

/** A dry run works inside one transaction that is rolled back at the end: nothing it writes stays. */
function dryRunPg(pool: pg.Pool, where: string): Pg {
  let client: Promise<pg.PoolClient> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const session = () =>
    (client ??= connectOrThrow(pool, where).then(async (c) => {
      await c.query('BEGIN');
      return c;
    }));
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  const sql = over(async (text, values) => (await session()).query(text, values), where);
  let savepoints = 0;
  return {
    rows: (text, values) => serial(() => sql.rows(text, values)),
    run: (text, values) => serial(() => sql.run(text, values)),
    where,
    dryRun: true,
    tx: (work) =>
      serial(async () => {
        const name = `dry_${(savepoints += 1)}`;
        await sql.run(`SAVEPOINT ${name}`);
        try {
          const result = await work(sql);
          await sql.run(`RELEASE SAVEPOINT ${name}`);
          return result;
        } catch (error) {
          await sql.run(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
          throw error;
        }
      }),
    connect: () => Promise.reject(new Error('a dry run has one connection only')),
    async end() {
      if (client) {
        const c = await client;
        await c.query('ROLLBACK').catch(() => undefined);
        c.release();
      }
      await pool.end();
    },
  };
}

/**
 * A checked-out connection the server ends (a restart, pg_terminate_backend) fails its query and
 * also emits 'error', which with no listener would end the process: the failed query reports it.
 */
const listened = new WeakSet<pg.PoolClient>();

async function connectOrThrow(pool: pg.Pool, where: string): Promise<pg.PoolClient> {
  try {
    const client = await pool.connect();
    if (!listened.has(client)) {
      listened.add(client);
      client.on('error', () => undefined);
    }
    return client;
  } catch (error) {
    throw toPgStoreError(error, where);
  }
}

export { StoreError };
