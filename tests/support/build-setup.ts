import { ensureBuilt } from '../../scripts/build.js';

/**
 * Vitest global setup: process tests run the compiled CLI (tests/support/cli.ts), so dist/ is
 * rebuilt first when src/ changed since the last build. `npx vitest run tests/x` alone is therefore
 * never testing stale code; scripts/test.sh has built already, and this finds nothing to do.
 */
export default function setup(): void {
  ensureBuilt();
}
