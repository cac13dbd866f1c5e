import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseSegment } from '../src/edition/segments.js';
import { defaultTransport } from '../src/app.js';
import { DeliveryError } from '../src/errors.js';
import { prepareEdition, runSend } from '../src/pipeline.js';
import { inThreadMjml } from '../src/render/mjml.js';
import { headerValue, startSmtpServer, type TestSmtpServer } from './support/smtp.js';
import { createWorkspace, post, type Workspace } from './support/workspace.js';
import { SEED_TITLES } from './support/seed.js';


let smtp: TestSmtpServer;
let ws: Workspace;

beforeEach(async () => {
  smtp = await startSmtpServer();
  ws = createWorkspace({ SMTP_URL: smtp.url });
});
afterEach(async () => {
  await smtp.close();
  ws.cleanup();
});

async function addSubscribers(...rows: { email: string; name?: string; categories?: string[] }[]) {
  const app = await ws.app();
  await app.store.upsertSubscribers(rows.map((r) => ({ status: 'active' as const, ...r })), new Date(Date.now() - 60_000));
  await app.close();
}

async function send(now?: Date) {
  const app = await ws.app(now ? { now: () => now } : {});
  try {
    return await runSend(app, { cadence: 'weekly' });
  } finally {
    await app.close();
  }
}

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

describe('digest send over real SMTP', () => {
  it('gives every subscriber exactly one multipart message with every selected title', async () => {
    await addSubscribers({ email: 'ada@example.org', name: 'Ada' }, { email: 'bob@example.org' }, { email: 'zoë@example.org', name: 'Zoë Ünal' });
    const report = await send();
    expect(report.edition?.number).toBe(1);
    expect(report.tally).toMatchObject({ sent: 3, failed: 0, deferred: 0 });
    expect(smtp.received).toHaveLength(3);
    for (const address of ['ada@example.org', 'bob@example.org', 'zoë@example.org']) expect(smtp.to(address)).toHaveLength(1);
    const message = smtp.to('ada@example.org')[0]!;
    expect(message.parsed.text).toBeTruthy();
    expect(message.parsed.html).toBeTruthy();
    for (const title of SEED_TITLES) {
      expect(message.parsed.text).toContain(title);
      expect(message.parsed.html).toContain(title.replace(/'/g, '&#39;'));
    }
    const contentType = message.raw.toString('latin1');
    expect(contentType.indexOf('Content-Type: text/plain')).toBeLessThan(contentType.indexOf('Content-Type: text/html'));
    // "Weekly digest #1: <title> and 9 more" would pass 78 characters: a shorter whole form, never a cut title.
    expect(message.parsed.subject).toBe('Why the North Korea–China trade increase could be an illusion, and 9 more');
    expect(message.parsed.text).toContain('Hi Ada,');
    // No web fonts: opening the email makes no request to a third party.
    expect(message.parsed.html).not.toMatch(/fonts\.googleapis|@import/);
    expect(message.parsed.text).toContain('24 May 2023 · Benjamin Katzeff Silberstein');
    const zoe = smtp.to('zoë@example.org')[0]!;
    expect(zoe.parsed.to).toMatchObject({ value: [{ name: 'Zoë Ünal', address: 'zoë@example.org' }] });
  });

  it('a second send sends nothing; a new post then goes out alone', async () => {
    await addSubscribers({ email: 'ada@example.org' });
    await send();
    const second = await send();
    expect(second.edition).toBeUndefined();
    expect(smtp.received).toHaveLength(1);
    ws.writePost('2099-fresh.md', post({ title: 'A fresh post', date: hoursAgo(1) }));
    const third = await send();
    expect(third.edition?.number).toBe(2);
    expect(third.edition?.posts.map((p) => p.title)).toEqual(['A fresh post']);
    expect(smtp.received[1]?.parsed.subject).toBe('Weekly digest #2: A fresh post');
  });

  it('sends a back-dated post added after a run, but never an edited sent post', async () => {
    await addSubscribers({ email: 'ada@example.org' });
    await send();
    ws.writePost('old-but-new.md', post({ title: 'Back-dated arrival', date: '2020-01-01' }));
    const edited = '2023-05-24-north-korea-china-trade-increase-illusion.md';
    ws.writePost(edited, post({ title: 'Edited title of a sent post', date: '2023-05-24', slug: 'north-korea-china-trade-increase-illusion' }));
    const report = await send();
    expect(report.edition?.posts.map((p) => p.title)).toEqual(['Back-dated arrival']);
  });

  it('holds future posts until their date and never sends drafts', async () => {
    await addSubscribers({ email: 'ada@example.org' });
    await send();
    const goesAt = new Date(Date.now() + 2 * 86_400_000);
    ws.writePost('future.md', post({ title: 'From the future', date: goesAt.toISOString() }));
    ws.writePost('draft.md', post({ title: 'Unfinished draft', date: hoursAgo(2), draft: true }));
    expect((await send()).edition).toBeUndefined();
    const later = await send(new Date(goesAt.getTime() + 60_000));
    expect(later.edition?.posts.map((p) => p.title)).toEqual(['From the future']);
    expect(smtp.received.map((r) => r.parsed.text).join('\n')).not.toContain('Unfinished draft');
  });

  it('first run takes only the newest DIGEST_MAX_POSTS; older posts count as published', async () => {
    ws.cleanup(); // the one beforeEach made, replaced by one with the limit
    ws = createWorkspace({ SMTP_URL: smtp.url, DIGEST_MAX_POSTS: '3' });
    await addSubscribers({ email: 'ada@example.org' });
    const first = await send();
    expect(first.edition?.posts.map((p) => p.title)).toEqual(SEED_TITLES.slice(0, 3));
    expect((await send()).edition).toBeUndefined();
  });

  it('gives topic subscribers only their topics and skips one with nothing new', async () => {
    await addSubscribers(
      { email: 'all@example.org' },
      { email: 'spy@example.org', categories: ['surveillance'] },
      { email: 'none@example.org', categories: ['Gardening'] },
    );
    const report = await send();
    expect(report.tally).toMatchObject({ sent: 2, skipped: 1 });
    expect(smtp.to('none@example.org')).toHaveLength(0);
    const spy = smtp.to('spy@example.org')[0]!;
    // One post whose title alone passes 78 characters: the whole title, never a cut one.
    expect(spy.parsed.subject).toBe('What upgrades of North Korea’s surveillance equipment say about policies and priorities');
    expect(spy.parsed.text).not.toContain(SEED_TITLES[0]);
    expect(smtp.to('all@example.org')[0]!.parsed.text).toContain(SEED_TITLES[9]);
  });

  it('keeps the edition\'s all-topics rendering as its segment, rendered once with the edition', async () => {
    await addSubscribers({ email: 'spy@example.org', categories: ['Surveillance'] });
    const edition = (await send()).edition!;
    const app = await ws.app();
    try {
      const saved = await app.store.getSegment(edition.number, chooseSegment(edition, { categories: [] })!.key);
      expect(saved).toMatchObject({ subject: edition.subject, html: edition.html, text: edition.text });
    } finally {
      await app.close();
    }
  });

  it('skips a post with broken front matter without marking it sent, and sends it once fixed', async () => {
    await addSubscribers({ email: 'ada@example.org' });
    await send();
    ws.writePost('broken.md', '---\ntitle: "Fixed later"\ndate: [oops\nauthor: "A"\n---\nBody\n');
    ws.writePost('good.md', post({ title: 'Valid sibling', date: hoursAgo(3) }));
    const report = await send();
    // js-yaml notices the unclosed list only where the next key starts; the problem names line 3, where it was opened.
    expect(report.problems.find((p) => p.file === 'broken.md')).toMatchObject({ line: 3, severity: 'error', message: expect.stringContaining('the list opened with "[" is never closed') });
    expect(report.edition?.posts.map((p) => p.title)).toEqual(['Valid sibling']);
    ws.writePost('broken.md', post({ title: 'Fixed later', date: hoursAgo(5) }));
    expect((await send()).edition?.posts.map((p) => p.title)).toEqual(['Fixed later']);
  });

  it('every message has a unique Message-ID, a Date, From and one-click unsubscribe headers', async () => {
    await addSubscribers({ email: 'a@example.org' }, { email: 'b@example.org' });
    await send();
    const ids = smtp.received.map((r) => r.parsed.messageId);
    expect(new Set(ids).size).toBe(2);
    for (const { parsed } of smtp.received) {
      expect(parsed.date).toBeInstanceOf(Date);
      expect(parsed.from?.value[0]).toEqual({ name: 'International Governments Digest', address: 'digest@example.org' });
      expect(headerValue(parsed, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      expect(headerValue(parsed, 'List-Id')).toBe('International Governments Digest <digest.example.org>');
      const unsubscribe = /^<(https:\/\/digest\.example\.org\/unsubscribe\/[\w.-]+)>$/.exec(headerValue(parsed, 'List-Unsubscribe') ?? '')?.[1];
      expect(unsubscribe).toBeDefined();
      expect(parsed.html).toContain(unsubscribe!);
      expect(parsed.text).toContain(unsubscribe!);
    }
  });
});

describe('stopped topics (excluded categories)', () => {
  it('a post carrying a stopped topic never reaches the subscriber, whatever else it carries', async () => {
    const app = await ws.app();
    await app.store.upsertSubscribers(
      [
        { email: 'all-but-trade@example.org', status: 'active', excludedCategories: ['Trade'] },
        { email: 'sanctions-not-trade@example.org', status: 'active', categories: ['Sanctions'], excludedCategories: ['trade'] },
        { email: 'only-trade-stopped@example.org', status: 'active', categories: ['Trade'], excludedCategories: ['Trade'] },
      ],
      new Date(Date.now() - 60_000),
    );
    await app.close();
    const report = await send();
    expect(report.tally).toMatchObject({ sent: 2, skipped: 1 });
    const trade = [0, 1, 2, 4, 6, 8].map((i) => SEED_TITLES[i]!);
    const allButTrade = String(smtp.to('all-but-trade@example.org')[0]?.parsed.text);
    for (const title of trade) expect(allButTrade).not.toContain(title);
    for (const i of [3, 5, 7, 9]) expect(allButTrade).toContain(SEED_TITLES[i]);
    // "Sanctions" posts: one also carries Trade (index 0), so only index 9 is left.
    const sanctions = smtp.to('sanctions-not-trade@example.org')[0]!;
    expect(sanctions.parsed.text).toContain(SEED_TITLES[9]);
    expect(sanctions.parsed.text).not.toContain(SEED_TITLES[0]);
    expect(smtp.to('only-trade-stopped@example.org')).toHaveLength(0);
  });
});

describe('connecting while the edition is prepared', () => {
  it('a login refused only after the digest was rendered still records no edition and sends nothing', async () => {
    await addSubscribers({ email: 'ada@example.org' });
    // A server slow to refuse AUTH (a fault no test server gives on cue): the refusal comes once the
    // MJML has been compiled, so preparing has run alongside the connection and reached its end.
    let rendered!: () => void;
    const renderedOnce = new Promise<void>((resolve) => (rendered = resolve));
    const inThread = inThreadMjml();
    const mjml = { ...inThread, inWorker: false, compile: (source: string) => inThread.compile(source).finally(rendered) };
    const real = await defaultTransport(ws.config());
    const transport = {
      ...real,
      description: real.description,
      concurrency: real.concurrency,
      verify: async () => {
        await renderedOnce;
        throw new DeliveryError('SMTP_AUTH', 'The SMTP server refused the login (535 5.7.8 slow refusal).');
      },
    };
    const app = await ws.app({ mjml, transport });
    try {
      await expect(runSend(app, { cadence: 'weekly' })).rejects.toMatchObject({ code: 'SMTP_AUTH' });
      expect(await app.store.listEditions(10)).toEqual([]);
    } finally {
      await app.close();
    }
    expect(smtp.received).toHaveLength(0);
    // The same send once the login works: the edition is made then, and goes out.
    expect((await send()).tally.sent).toBe(1);
  });
});

describe('two senders preparing at once (SQLite has no prepare lock)', () => {
  it('one that then finds the posts recorded by the edition the other made delivers that edition', async () => {
    await addSubscribers({ email: 'ada@example.org' });
    const app = await ws.app();
    const other = await ws.app();
    try {
      // The other sender makes the edition just after this one has looked for an open one a
      // second time (under the lock), and before it reads the post ledger.
      let looks = 0;
      const openEdition: typeof app.store.openEdition = async (cadence) => {
        const open = await app.store.openEdition(cadence);
        if ((looks += 1) === 2) expect((await prepareEdition(other, { cadence })).edition?.number).toBe(1);
        return open;
      };
      const prepared = await prepareEdition({ ...app, store: { ...app.store, openEdition } }, { cadence: 'weekly' });
      expect(looks).toBe(3);
      expect(prepared).toMatchObject({ resumed: true, edition: { number: 1 } });
      expect((await app.store.listEditions(10)).map((edition) => edition.number)).toEqual([1]);
    } finally {
      await other.close();
      await app.close();
    }
  });
});
