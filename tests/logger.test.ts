import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWorkspace, REPO } from './support/workspace.js';
import { cliArgv } from './support/cli.js';

const run = promisify(execFile);

const written: string[] = [];
const original = process.stderr.write.bind(process.stderr);
afterEach(() => {
  process.stderr.write = original;
  written.length = 0;
});
function capture() {
  process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
}

describe('the readable terminal logger', () => {
  it('shows escape sequences from outside text instead of letting them act on the terminal', () => {
    capture();
    createLogger({ pretty: true, level: 'info' }).warn('delivery.failed', { response: '550 \u001b[2J\u001b]0;owned\u0007 no' });
    const line = written.join('');
    expect(line).toContain('delivery.failed response=550 \\u{1b}[2J\\u{1b}]0;owned\\u{7} no');
    expect(line).not.toMatch(/\u001b/);
  });
});

describe('the JSON logger (not a terminal)', () => {
  it('writes one object per line on stderr with a stable event name', async () => {
    // pino writes to file descriptor 2 directly, so a real process is the honest way to read it.
    const script = "import { createLogger } from './dist/logger.js'; const log = createLogger({ pretty: false }); log.info('edition.created', { edition: 3 }); log.warn('delivery.deferred', { to: 'a@example.org' });";
    const { stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO });
    const records = stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toEqual([
      expect.objectContaining({ event: 'edition.created', edition: 3, level: 30 }),
      expect.objectContaining({ event: 'delivery.deferred', to: 'a@example.org', level: 40 }),
    ]);
  });
});

describe('LOG_LEVEL', () => {
  it('is taken from .env through the validated config (the logger reads no environment itself)', async () => {
    const ws = createWorkspace();
    try {
      writeFileSync(join(ws.dir, '.env'), 'LOG_LEVEL=warn\n');
      const { LOG_LEVEL: _unset, ...env } = ws.env;
      const { stdout, stderr } = await run(process.execPath, cliArgv('send'), { cwd: REPO, env: { PATH: process.env.PATH, ...env } });
      expect(stdout).toMatch(/^Edition #1/);
      // Not a terminal: info lines would be JSON objects ("edition.created"); at warn there are none.
      expect(stderr).toBe('');
    } finally {
      ws.cleanup();
    }
  });
});
