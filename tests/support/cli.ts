import { join } from 'node:path';
import { BUNDLE } from '../../scripts/build.js';

/**
 * The compiled CLI, bundled, as production runs it. The suite's global setup
 * (tests/support/build-setup.ts) has rebuilt dist/ if src/ changed, so this is never older than
 * the source under test.
 */
export const CLI_JS = join(BUNDLE, 'cli.js');

/** Arguments for node that run `digest ARGS`: `spawn(process.execPath, cliArgv('send'), …)`. */
export function cliArgv(...args: string[]): string[] {
  return [CLI_JS, ...args];
}
