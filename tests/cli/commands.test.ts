import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorkspace, type Workspace } from '../support/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = createWorkspace();
});
afterEach(() => ws.cleanup());

describe('digest check', () => {
  it('passes on the seed posts and templates', async () => {
    const { code, output } = await ws.cli('check');
    expect(output).toContain('Posts: 10 valid, 0 with errors');
    expect(output).toContain('Templates: ok');
    expect(code).toBe(0);
  });

  it('names the file and line of broken front matter and of a template error, and exits non-zero', async () => {
    ws.writePost('broken.md', '---\ntitle: "Broken"\ndate: 2024-13-40\nauthor: "A"\n---\nBody\n');
    const template = join(ws.dir, 'templates', 'partials', 'post-card.mjml.hbs');
    writeFileSync(template, readFileSync(template, 'utf8').replace('{{title}}</a>', '{{titel}}</a>'));
    const { code, output } = await ws.cli('check');
    expect(output).toContain('error: posts/broken.md:3: date: "2024-13-40" is not a real date');
    expect(output).toMatch(/error: templates\/partials\/post-card\.mjml\.hbs:\d+: "titel" not defined/);
    expect(code).toBe(1);
  });
});

describe('digest render', () => {
  it('writes HTML, text and a complete .eml, and records nothing', async () => {
    const out = join(ws.dir, 'out');
    const { code, output } = await ws.cli('render', '--out', out, '--subscriber', 'Reader@Example.org');
    expect(code).toBe(0);
    expect(output).toContain('as reader@example.org: 10 posts');
    const eml = await simpleParser(readFileSync(join(out, 'digest.eml')));
    expect(eml.subject).toBe('Why the North Korea–China trade increase could be an illusion, and 9 more');
    expect(readFileSync(join(out, 'digest.html'), 'utf8')).toContain('North Korea denies weapons sales to Russia');
    expect(readFileSync(join(out, 'digest.txt'), 'utf8')).toContain('Read more: https://blog.example.org/');
    // Nothing recorded: a real send afterwards is still edition #1 with all ten posts.
    await ws.cli('subscribers', 'add', 'reader@example.org');
    const send = await ws.cli('send');
    expect(send.output).toContain('Edition #1 (weekly): 10 posts');
  });
});

describe('stopped topics outside the web pages', () => {
  it('render --subscriber and subscribers list honour a reader\'s stopped topics', async () => {
    const file = join(ws.dir, 'stopped.csv');
    writeFileSync(file, 'email,name,categories,excluded\ns@example.org,Sam,,Trade\n');
    expect((await ws.cli('subscribers', 'import', file)).code).toBe(0);
    expect((await ws.cli('subscribers', 'list')).output).toContain('s@example.org\tSam\tactive\tweekly\t(all topics) except Trade');
    const out = join(ws.dir, 'out');
    expect((await ws.cli('render', '--out', out, '--subscriber', 's@example.org')).code).toBe(0);
    const text = readFileSync(join(out, 'digest.txt'), 'utf8');
    expect(text).toContain('North Korea denies weapons sales to Russia');
    expect(text).not.toContain('North Korea-China trade officially reopened');
    expect(text).not.toMatch(/· .*Trade/);
  });
});

describe('digest send on the embedded default', () => {
  it('--dry-run builds every message and records nothing', async () => {
    await ws.cli('subscribers', 'add', 'a@example.org');
    const dry = await ws.cli('send', '--dry-run');
    expect(dry.output).toContain('Dry run of edition #1');
    expect(dry.output).toContain('would send 1');
    expect(existsSync(join(ws.dir, 'data', 'outbox'))).toBe(false);
    expect((await ws.cli('send')).output).toContain('Edition #1 (weekly): 10 posts');
  });

  it('imports the sample list when empty and leaves one .eml per subscriber in the outbox', async () => {
    const samples = join(ws.dir, 'samples.csv');
    writeFileSync(samples, 'email,name,categories\nann@example.org,Ann,\nbo@example.org,,\n');
    ws.env.SAMPLE_SUBSCRIBERS = samples;
    const { code, output } = await ws.cli('send');
    expect(code).toBe(0);
    expect(output).toContain('added 2 sample subscribers');
    expect(output).toMatch(/Delivered to the outbox at .*outbox/);
    const outbox = join(ws.dir, 'data', 'outbox');
    const files = readdirSync(outbox);
    expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(2);
    const parsed = await simpleParser(readFileSync(join(outbox, files[0]!)));
    expect(parsed.text?.match(/Read more: /g)).toHaveLength(10);
    expect((await ws.cli('send')).output).toContain('Nothing new to send');
  });
});

describe('digest subscribers', () => {
  it('adds, lists, exports, re-imports and removes', async () => {
    expect((await ws.cli('subscribers', 'add', 'Alice@Example.COM', '--name', 'Alice', '--categories', 'Trade,Diplomacy')).output).toBe('Added alice@example.com.');
    expect((await ws.cli('subscribers', 'add', 'alice@example.com', '--name', 'Alice B')).output).toBe('Updated alice@example.com.');
    const list = await ws.cli('subscribers', 'list', '--topic', 'trade');
    expect(list.output).toContain('alice@example.com\tAlice B\tactive\tweekly\tTrade;Diplomacy');
    const exported = (await ws.cli('subscribers', 'export')).output;
    const file = join(ws.dir, 'list.csv');
    writeFileSync(file, `${exported}\nnot-an-address,Bad,\n`);
    const imported = await ws.cli('subscribers', 'import', file);
    expect(imported.output).toContain(`${file}:3: email "not-an-address" must contain exactly one @`);
    expect(imported.output).toContain('0 updated, 1 unchanged, 1 rejected'); // the export re-imported changes nothing
    expect(imported.code).toBe(1);
    expect((await ws.cli('subscribers', 'export')).output).toBe(exported);
    expect((await ws.cli('subscribers', 'remove', 'ALICE@example.com')).code).toBe(0);
    expect((await ws.cli('subscribers', 'list')).output).toBe('0 subscribers');
  });

  it('refuses a malformed address with the reason', async () => {
    const result = await ws.cli('subscribers', 'add', '"a@b.com x"@internal.example');
    expect(result.code).toBe(1);
  });
});

describe('serving commands', () => {
  it.each([['serve'], ['preview']])('digest %s refuses a --port that is not a port', async (command) => {
    for (const port of ['abc', '-1', '70000', '3.5']) expect((await ws.cli(command, '--port', port)).code).toBe(1);
  });
});

describe('configuration errors', () => {
  it('lists every invalid variable at once and never prints the secret', async () => {
    Object.assign(ws.env, { PORT: 'abc', DIGEST_SCHEDULE: 'every monday', DIGEST_SECRET: 'short-secret-value', DIGEST_TIMEZONE: 'Mars/Base' });
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      expect((await ws.cli('check')).code).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    const text = stderr.join('');
    for (const name of ['PORT', 'DIGEST_SCHEDULE', 'DIGEST_SECRET', 'DIGEST_TIMEZONE']) expect(text).toContain(`- ${name} `);
    expect(text).not.toContain('short-secret-value');
  });
});
