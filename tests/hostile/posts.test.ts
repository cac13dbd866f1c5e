import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { post } from '../support/workspace.js';
import { assertWellFormed, everything, fm, hostile, hoursAgo, PASSWD_MARK, SUBSCRIBERS, type Hostile } from './harness.js';

/**
 * Hostile post files, each fed through the real entry points: `digest check` must name the file,
 * the line and what is wrong; `digest send` must leave the bad post out, still send its valid
 * sibling to every subscriber exactly once, and let nothing of the bad post reach a reader.
 */
let h: Hostile;
beforeEach(async () => {
  h = await hostile();
  await h.subscribe(...SUBSCRIBERS.map((email) => ({ email })));
});
afterEach(() => h.close());

const ok = ['title: "Fine title"', 'date: 2024-01-01', 'author: "A. Author"'];
const MARKER = '/tmp/digest-hostile-front-matter-ran';

interface Refused {
  name: string;
  file?: string;
  content: string;
  /** `file:line` expected in the check output. */
  line: number;
  error: string;
}

const refused: Refused[] = [
  { name: 'unclosed front matter', content: '---\ntitle: "Never closed"\ndate: 2024-01-01\nauthor: "A"\n\nBody.\n', line: 1, error: 'never closed' },
  { name: 'invalid YAML (unclosed list)', content: fm(['title: "T"', 'date: [oops', 'author: "A"']), line: 3, error: 'the list opened with "[" is never closed' },
  { name: 'tab used for indentation', content: fm([...ok, 'categories:', '\t- Trade']), line: 6, error: 'indented with a tab: YAML needs spaces' },
  { name: 'no front matter at all', content: '# Just markdown\n\nBody.\n', line: 1, error: 'must start with YAML front matter' },
  { name: '---js front matter (never run)', content: `---js\n{ title: require('fs').writeFileSync('${MARKER}', 'ran') }\n---\nBody\n`, line: 1, error: 'front matter must be YAML' },
  { name: '---javascript front matter (never run)', content: `---javascript\nprocess.exit(3)\n---\nBody\n`, line: 1, error: 'front matter must be YAML' },
  { name: '---json front matter', content: '---json\n{"title": "T"}\n---\nBody\n', line: 1, error: 'front matter must be YAML' },
  { name: 'YAML !!js/function tag', content: fm(['title: !!js/function "function(){ return process.exit(4) }"', 'date: 2024-01-01', 'author: "A"']), line: 2, error: 'a value cannot start with "!" unquoted' },
  { name: 'front matter is a list, not fields', content: '---\n- a\n- b\n---\nBody\n', line: 2, error: 'must be a list of "field: value"' },
  { name: 'missing title', content: fm(['date: 2024-01-01', 'author: "A"']), line: 1, error: 'title:' },
  { name: 'title empty once markup is removed', content: fm(['title: "<b></b> <i></i>"', 'date: 2024-01-01', 'author: "A"']), line: 2, error: 'title: is empty' },
  { name: 'title of 100,000 characters', content: fm([`title: "${'A'.repeat(100_000)}"`, 'date: 2024-01-01', 'author: "A"']), line: 2, error: 'at most 300 characters' },
  { name: 'missing date', content: fm(['title: "T"', 'author: "A"']), line: 1, error: 'date: is required' },
  { name: 'impossible date 2024-13-40', content: fm(['title: "T"', 'date: 2024-13-40', 'author: "A"']), line: 3, error: '"2024-13-40" is not a real date' },
  { name: 'impossible date 2023-02-30', content: fm(['title: "T"', 'date: 2023-02-30', 'author: "A"']), line: 3, error: 'is not a real date' },
  { name: 'date 25:61 o’clock', content: fm(['title: "T"', 'date: 2024-01-01T25:61:00Z', 'author: "A"']), line: 3, error: 'is not a real date' },
  { name: 'a time-zone offset of +99:99', content: fm(['title: "T"', 'date: 2024-01-01T10:00:00+99:99', 'author: "A"']), line: 3, error: 'is not a real date' },
  { name: 'date as a bare number', content: fm(['title: "T"', 'date: 20240101', 'author: "A"']), line: 3, error: 'is not a real date' },
  { name: 'NUL byte in a title', content: fm(['title: "T\u0000x"', 'date: 2024-01-01', 'author: "A"']), line: 2, error: 'null byte' },
  { name: 'duplicated key', content: fm(['title: "T"', 'title: "U"', 'date: 2024-01-01', 'author: "A"']), line: 3, error: 'the field "title" appears twice (also on line 2): keep one' },
  { name: 'nesting 20,000 deep', content: fm([...ok, `x: ${'['.repeat(20_000)}${']'.repeat(20_000)}`]), line: 5, error: 'maxDepth' },
  { name: 'url: javascript:', content: fm([...ok, 'url: "javascript:alert(1)"']), line: 5, error: 'url:' },
  { name: 'image: data: URL', content: fm([...ok, 'image: "data:text/html,<script>alert(1)</script>"', 'imageAlt: "x"']), line: 5, error: 'image:' },
  { name: 'slug with path traversal', content: fm([...ok, 'slug: "../../etc/passwd"']), line: 5, error: 'slug:' },
  { name: 'draft: "false" as a string', content: fm([...ok, 'draft: "false"']), line: 5, error: 'must be true or false' },
];

describe('hostile posts are refused with file:line, and never stop the others', () => {
  it.each(refused)('$name', async ({ file = 'hostile.md', content, line, error }) => {
    h.ws.writePost(file, content);
    h.ws.writePost('good.md', post({ title: 'Good sibling', date: hoursAgo(1) }));
    const check = await h.cli('check');
    expect(check.code).toBe(1);
    const problem = check.output.split('\n').find((l) => l.startsWith(`error: posts/${file}:`));
    expect(problem).toBeDefined();
    expect(problem).toContain(`posts/${file}:${line}: `);
    expect(problem).toContain(error);
    expect(problem!.length).toBeLessThan(1000);
    const send = await h.cli('send');
    expect(send.code).toBe(2);
    expect(send.output).toContain(`Skipped post: posts/${file}:${line}:`); // named as check names it
    expect(h.smtp.received).toHaveLength(SUBSCRIBERS.length);
    for (const address of SUBSCRIBERS) {
      const [message, ...extra] = h.smtp.to(address);
      expect(extra).toHaveLength(0);
      expect(message!.parsed.subject).toBe('Weekly digest #1: Good sibling');
      assertWellFormed(message!, expect);
    }
    expect(existsSync(MARKER)).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('colliding and unusual files', () => {
  it('two files with one slug: both refused, named together', async () => {
    h.ws.writePost('one.md', post({ title: 'One', date: hoursAgo(2), slug: 'same' }));
    h.ws.writePost('two.md', post({ title: 'Two', date: hoursAgo(1), slug: 'same' }));
    const check = await h.cli('check');
    expect(check.code).toBe(1);
    expect(check.output).toContain('posts/one.md:1: slug "same" is also used by two.md');
    expect(check.output).toContain('posts/two.md:1: slug "same" is also used by one.md');
    expect((await h.cli('send')).output).toContain('Nothing new to send');
    expect(h.smtp.received).toHaveLength(0);
  });

  it('slugs differing only in case collide', async () => {
    h.ws.writePost('Hello-World.md', post({ title: 'Upper', date: hoursAgo(2) }));
    h.ws.writePost('hello-world.md', post({ title: 'Lower', date: hoursAgo(1) }));
    h.ws.writePost('explicit.md', post({ title: 'Explicit', date: hoursAgo(1), slug: 'HELLO-WORLD' }));
    const check = await h.cli('check');
    expect(check.code).toBe(1);
    for (const file of ['Hello-World.md', 'hello-world.md', 'explicit.md']) expect(check.output).toContain(`posts/${file}:1: slug "hello-world" is also used by`);
  });

  it('a 50 MB post is refused by size before it is read, with bounded memory', async () => {
    const big = join(h.ws.dir, 'posts', 'huge.md');
    const { truncateSync, writeFileSync } = await import('node:fs');
    writeFileSync(big, fm(ok));
    truncateSync(big, 50 * 1024 * 1024);
    h.ws.writePost('good.md', post({ title: 'Good sibling', date: hoursAgo(1) }));
    const before = process.memoryUsage().rss;
    const check = await h.cli('check');
    const grew = process.memoryUsage().rss - before;
    expect(check.output).toContain('error: posts/huge.md:1: is 50.0 MB; posts are limited to 1 MB');
    expect(grew).toBeLessThan(40 * 1024 * 1024);
    expect((await h.cli('send')).code).toBe(2);
    expect(h.smtp.received.map((r) => r.parsed.subject)).toEqual(SUBSCRIBERS.map(() => 'Weekly digest #1: Good sibling'));
  });

  it('a 100,000-character body line: sent, excerpt cut, every wire line ≤ 998 octets', async () => {
    h.ws.writePost('wide.md', fm(['title: "Wide"', `date: ${hoursAgo(1)}`, 'author: "A"'], `${'word '.repeat(20_000)}\n\n${'x'.repeat(100_000)}`));
    const send = await h.cli('send');
    expect(send.code).toBe(0);
    for (const message of h.smtp.received) {
      assertWellFormed(message, expect);
      expect(message.raw.length).toBeLessThan(200_000);
      expect(message.parsed.text).toContain('word word');
      expect(message.parsed.text).not.toContain('x'.repeat(300));
    }
  });

  it('a symlink to /etc/passwd, a FIFO and a folder named *.md are never read', async () => {
    symlinkSync('/etc/passwd', join(h.ws.dir, 'posts', 'passwd.md'));
    mkdirSync(join(h.ws.dir, 'posts', 'folder.md'));
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(h.ws.dir, 'posts', 'pipe.md')]);
    h.ws.writePost('good.md', post({ title: 'Good sibling', date: hoursAgo(1) }));
    const check = await h.cli('check');
    expect(check.output).toContain('Posts: 1 valid');
    expect(check.output).not.toContain(PASSWD_MARK);
    for (const name of ['passwd.md', 'folder.md', 'pipe.md']) expect(check.output).toContain(`warning: posts/${name}:1: is not a regular file`);
    await h.cli('send');
    expect(h.smtp.received).toHaveLength(2);
    for (const message of h.smtp.received) expect(everything(message)).not.toContain(PASSWD_MARK);
  });

  it('YAML __proto__ and merge-key pollution leave Object.prototype unchanged', async () => {
    h.ws.writePost('proto.md', fm([...ok.slice(0, 1), `date: ${hoursAgo(1)}`, ok[2]!, '__proto__:', '  polluted: "yes"', 'base: &b', '  __proto__:', '    polluted: "merge"', '<<: *b']));
    const check = await h.cli('check');
    expect(check.output).toContain('warning: posts/proto.md:5: unknown field "__proto__" is ignored');
    await h.cli('send');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(h.smtp.received.map((r) => r.parsed.subject)).toEqual(SUBSCRIBERS.map(() => 'Weekly digest #1: Fine title'));
  });

  it('a YAML alias bomb ("billion laughs") is answered at once, not expanded', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of [...'bcdefghi'].entries()) levels.push(`${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`);
    h.ws.writePost('laughs.md', fm([...ok, ...levels, 'categories: *i']));
    const check = await h.cli('check');
    expect(check.code).toBe(1);
    expect(check.output).toMatch(/posts\/laughs\.md:\d+: categories: /);
  });

  it('a BOM and CRLF line endings are accepted as ordinary text', async () => {
    h.ws.writePost('bom.md', `\uFEFF${fm(['title: "With a BOM"', `date: ${hoursAgo(1)}`, 'author: "A"'])}`.replace(/\n/g, '\r\n'));
    const check = await h.cli('check');
    expect(check.code).toBe(0);
    await h.cli('send');
    expect(h.smtp.received[0]!.parsed.subject).toBe('Weekly digest #1: With a BOM');
    expect(h.smtp.received[0]!.raw.toString('utf8')).not.toContain('\uFEFF');
  });

  it('invalid UTF-8 bytes become replacement characters, never raw bytes on the wire', async () => {
    const bytes = Buffer.concat([Buffer.from(`---\ntitle: "Bad bytes `), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(`"\ndate: ${hoursAgo(1)}\nauthor: "A"\n---\nBody\n`)]);
    h.ws.writePost('bytes.md', bytes as unknown as string);
    await h.cli('send');
    expect(h.smtp.received).toHaveLength(2);
    for (const message of h.smtp.received) {
      assertWellFormed(message, expect);
      expect(message.parsed.subject).toContain('Bad bytes');
    }
  });
});
