#!/usr/bin/env node
// Installed entry point: runs the TypeScript CLI through tsx, so there is no build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
