import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostile, hoursAgo, type Hostile } from '../hostile/harness.js';
import { post } from '../support/workspace.js';

/**
 * Post problems are named the way templates are (the folder's own name and the file) in check
 * and send alike, whatever POSTS_DIR is; a missing field says what to write. (QA findings.)
 */
let h: Hostile;
afterEach(() => h?.close());

describe('post file names in messages', () => {
  it('with POSTS_DIR=…/p2, check and send both say p2/<file>:<line>', async () => {
    h = await hostile();
    const p2 = join(h.ws.dir, 'p2');
    mkdirSync(p2);
    cpSync(join(h.ws.dir, 'posts'), p2, { recursive: true });
    h.ws.env.POSTS_DIR = p2;
    await h.subscribe({ email: 'ada@example.org' });
    writeFileSync(join(p2, 'nofm.md'), 'No front matter here.\n');
    writeFileSync(join(p2, 'good.md'), post({ title: 'Good', date: hoursAgo(1) }));
    const check = await h.cli('check');
    expect(check.output).toContain('error: p2/nofm.md:1: ');
    expect(check.output).not.toContain('posts/nofm.md');
    const send = await h.cli('send');
    expect(send.output).toContain('Skipped post: p2/nofm.md:1: ');
  });

  it('a post without author says what to write, at line 1', async () => {
    h = await hostile();
    h.ws.writePost('anon.md', `---\ntitle: "Anonymous"\ndate: ${hoursAgo(1)}\n---\n\nBody.\n`);
    h.ws.writePost('typed.md', `---\ntitle: "Typed"\ndate: ${hoursAgo(1)}\nauthor: 42\n---\n\nBody.\n`);
    const check = await h.cli('check');
    expect(check.output).toContain('error: posts/anon.md:1: author: is required, e.g. author: "Jane Doe"');
    expect(check.output).toContain('error: posts/typed.md:4: author: must be text in quotes, e.g. author: "Jane Doe"');
    expect(check.output).not.toMatch(/Invalid input|expected string, received/);
  });
});
