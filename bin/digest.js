#!/usr/bin/env node
// Installed entry point: runs the compiled CLI, bundled in dist/bundle/ (`npm ci` builds it through `prepare`).
// When src/ changed since that build, ensureBuilt rebuilds it first, or warns where it cannot.
import { ensureBuilt } from '../scripts/build.js';

try {
  ensureBuilt();
} catch (error) {
  process.stderr.write(`digest: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const { main } = await import('../dist/bundle/cli.js');
process.exitCode = await main(process.argv.slice(2));
