import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { previewMessage } from '../../src/edition/preview-message.js';
import { runSend } from '../../src/pipeline.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, post, type Workspace } from '../support/workspace.js';

/** The editor's note (posts/_intro.md): above the posts of the next edition, then never again. */
let smtp: TestSmtpServer;
let ws: Workspace;

beforeEach(async () => {
  smtp = await startSmtpServer();
  ws = createWorkspace({ SMTP_URL: smtp.url });
  const app = await ws.app();
  await app.store.upsertSubscribers(
    [
      { email: 'all@example.org', name: 'Ada Lovelace', status: 'active' },
      { email: 'spy@example.org', categories: ['Surveillance'], status: 'active' },
    ],
    new Date(Date.now() - 60_000),
  );
  await app.close();
});
afterEach(async () => {
  await smtp.close();
  ws.cleanup();
});

async function send() {
  const app = await ws.app();
  try {
    return await runSend(app, { cadence: 'weekly' });
  } finally {
    await app.close();
  }
}

const NOTE = '---\nfor: the first edition\n---\nA word from the editor: **ten posts** this week. [Our sources](https://blog.example.org/sources) <script>alert(1)</script>\n';

describe("the editor's note", () => {
  it('goes above the posts of one edition, in every segment and both parts, then never again', async () => {
    writeFileSync(join(ws.dir, 'posts/_intro.md'), NOTE);
    const first = await send();
    expect(first.problems).toEqual([]); // _intro.md is not read as a post
    expect(first.edition?.posts).toHaveLength(10);
    for (const address of ['all@example.org', 'spy@example.org']) {
      const [message] = smtp.to(address);
      expect(message!.parsed.html).toContain('A word from the editor: <strong>ten posts</strong> this week. <a href="https://blog.example.org/sources">Our sources</a>');
      expect(message!.parsed.html).not.toContain('alert(1)');
      expect(message!.parsed.text).toContain('A word from the editor: **ten posts** this week.');
      const html = String(message!.parsed.html);
      expect(html.indexOf('A word from the editor')).toBeLessThan(html.indexOf('<h3'));
    }
    // Recorded in the ledger with the edition: the next edition (a new post) goes without it.
    ws.writePost('2099-fresh.md', post({ title: 'A fresh post', date: new Date(Date.now() - 3_600_000).toISOString() }));
    const second = await send();
    expect(second.edition?.number).toBe(2);
    const [, again] = smtp.to('all@example.org');
    expect(again!.parsed.subject).toBe('Weekly digest #2: A fresh post');
    expect(again!.parsed.text).not.toContain('A word from the editor');
    const app = await ws.app();
    expect((await app.store.postLedger('weekly')).get(first.edition!.note!.ledgerKey)).toBe(1);
    expect((await app.store.getEdition(2))?.note).toBeNull();
    await app.close();
  });

  it('shows in the preview while unsent; an edited note is a new one', async () => {
    writeFileSync(join(ws.dir, 'posts/_intro.md'), 'First note.\n');
    const app = await ws.app();
    const preview = (await previewMessage(app, { cadence: 'weekly' })).message;
    expect(preview?.text).toContain('First note.');
    expect(preview?.note).toBe('First note.'); // the preview page names it among the included items
    await app.close();
    await send();
    ws.writePost('2099-fresh.md', post({ title: 'A fresh post', date: new Date(Date.now() - 3_600_000).toISOString() }));
    const later = await ws.app();
    expect((await previewMessage(later, { cadence: 'weekly' })).message?.text).not.toContain('First note.');
    writeFileSync(join(ws.dir, 'posts/_intro.md'), 'Second note.\n');
    expect((await previewMessage(later, { cadence: 'weekly' })).message?.text).toContain('Second note.');
    await later.close();
  });

  it('a note too large is a problem named by its file, and the edition goes without it', async () => {
    writeFileSync(join(ws.dir, 'posts/_intro.md'), `${'x'.repeat(30 * 1024)}\n`);
    const report = await send();
    expect(report.edition?.note).toBeNull();
    expect(report.problems.map((p) => `${p.file}: ${p.message}`)).toEqual([expect.stringMatching(/^_intro\.md: is 31 KB; an editor's note is limited to 20 KB/)]);
  });
});
