import { isDigestError, messageOf, STORE_STOPPED, StoreError } from '../../errors.js';

/**
 * PostgreSQL and network failures as one plain line: what went wrong and what to check, with the
 * connection string's password hidden. The SQLSTATE classes are the documented ones.
 */
export interface PgProblem {
  reason: string;
  advice: string;
}

export function postgresProblem(error: unknown): PgProblem {
  const code = String((error as { code?: unknown }).code ?? '');
  const message = messageOf(error);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ETIMEDOUT' || /timeout exceeded when trying to connect/i.test(message)) {
    return { reason: `no server answered: ${message}`, advice: 'Check that PostgreSQL is running and that the host and port in DATABASE_URL are right.' };
  }
  if (code === '28P01' || code === '28000') return { reason: `the server refused the login: ${message}`, advice: 'Check the user name and password in DATABASE_URL.' };
  if (code === '3D000') return { reason: message, advice: 'Create the database (createdb), or fix its name in DATABASE_URL.' };
  if (code === '53100') return { reason: 'the database server\'s disk is full', advice: 'Free space on the PostgreSQL server\'s disk, then try again; what was recorded is intact.' };
  if (code === '57P01' || code === '57P02' || code === '57P03' || code.startsWith('08') || code === 'ECONNRESET' || /Connection terminated|terminating connection/i.test(message)) {
    return { reason: `the connection to the server was lost (${message})`, advice: 'Check that PostgreSQL is up (it may have restarted) and reachable, then run the command again.' };
  }
  if (code === '53300') return { reason: 'the server has no free connection slots', advice: 'Lower DATABASE_POOL_SIZE or the number of processes, or raise max_connections on the server.' };
  return { reason: message, advice: 'Check the PostgreSQL server\'s log for this error.' };
}

/** A StoreError for a failure while working; errors that are not the database's pass unchanged. */
export function toPgStoreError(error: unknown, where: string): unknown {
  if (isDigestError(error)) return error;
  const code = String((error as { code?: unknown })?.code ?? '');
  const isDatabase = /^[0-9A-Z]{5}$/.test(code) || /^E[A-Z]+$/.test(code) || /Connection terminated|connect/i.test(messageOf(error));
  if (!isDatabase) return error;
  const { reason, advice } = postgresProblem(error);
  return new StoreError(
    'STORE_FAILED',
    `The database ${where} could not be used (${reason}). ${STORE_STOPPED} ${advice}`,
    { cause: error },
  );
}
