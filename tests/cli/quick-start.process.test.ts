import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_POSTS, REPO } from '../support/workspace.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'digest-quick-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the quick start, as a real process with no configuration at all', () => {
  it('sends the seed edition to every sample subscriber in the outbox, then has nothing new', async () => {
    cpSync(FIXTURE_POSTS, join(dir, 'posts'), { recursive: true });
    for (const folder of ['templates', 'samples']) cpSync(join(REPO, folder), join(dir, folder), { recursive: true });
    const env = { PATH: process.env.PATH ?? '', HOME: dir };
    const cli = [join(REPO, 'bin', 'digest.js'), 'send'];
    const first = await run(process.execPath, cli, { cwd: dir, env });
    expect(first.stdout).toContain('Edition #1 (weekly): 10 posts');
    const samples = readFileSync(join(REPO, 'samples', 'subscribers.csv'), 'utf8').trim().split('\n').length - 1;
    const outbox = join(dir, 'data', 'outbox');
    const files = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(samples);
    for (const file of files) {
      const mail = await simpleParser(readFileSync(join(outbox, file)));
      expect(mail.text?.match(/^Read more: /gm)).toHaveLength(10);
    }
    const second = await run(process.execPath, cli, { cwd: dir, env });
    expect(second.stdout).toContain('Nothing new to send');
  });
});
