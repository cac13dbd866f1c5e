import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { startPreviewServer } from '../../src/preview/server.js';
import { dkimKeys } from '../support/dkim.js';
import { childEnv, createWorkspace, post } from '../support/workspace.js';
import { previewFixture, type PreviewFixture } from './fixture.js';
import { cliArgv } from '../support/cli.js';

let f: PreviewFixture;
beforeEach(async () => {
  f = await previewFixture();
});
afterEach(() => f.close());

describe('preview server content', () => {
  it('the cadence picker offers only the cadences enabled in the configuration', async () => {
    const options = async (query = '') => [...(await f.raw(`/${query}`)).body.matchAll(/<option value="(weekly|daily|monthly)"/g)].map((m) => m[1]);
    expect(await options()).toEqual(['weekly']);
    f.ws.env.DIGEST_DAILY_SCHEDULE = '0 7 * * *';
    expect(await options()).toEqual(['daily', 'weekly']);
    f.ws.env.DIGEST_MONTHLY_SCHEDULE = '0 9 1 * *';
    expect(await options()).toEqual(['daily', 'weekly', 'monthly']);
  });

  it('sends a test through SMTP with [TEST] in the subject and records nothing', async () => {
    await f.subscribe('ada@example.org');
    const response = await f.sendTest({ 'x-preview-token': f.preview.token, origin: `http://127.0.0.1:${f.preview.port}` });
    expect(JSON.parse(response.body)).toMatchObject({ ok: true });
    expect(f.smtp.received).toHaveLength(1);
    const [message] = f.smtp.received;
    expect(message!.to).toEqual(['editor@example.org']);
    expect(message!.parsed.subject).toBe('[TEST] Why the North Korea–China trade increase could be an illusion, and 9 more');
    expect(message!.parsed.text).toContain('North Korea denies weapons sales to Russia');
    const app = await f.ws.app();
    try {
      expect(await app.store.hasEditions('weekly')).toBe(false);
      expect((await app.store.postLedger('weekly')).size).toBe(0);
    } finally {
      await app.close();
    }
    // A real send afterwards is still edition #1 with every post.
    const app2 = await f.ws.app();
    const report = await runSend(app2, { cadence: 'weekly' }).finally(() => app2.close());
    expect(report.edition?.number).toBe(1);
    expect(report.edition?.posts).toHaveLength(10);
  });

  it('offers the previewed message as a .eml download', async () => {
    await f.subscribe('ada@example.org');
    const response = await f.raw('/message.eml?cadence=weekly&subscriber=ada%40example.org&topic=Surveillance');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('message/rfc822');
    expect(response.headers['content-disposition']).toBe('attachment; filename="digest-1.eml"');
    expect(response.body).toMatch(/^To: <ada@example\.org>\r\n/);
    const parsed = await simpleParser(Buffer.from(response.body));
    expect(parsed.subject).toBe('What upgrades of North Korea’s surveillance equipment say about policies and priorities');
    expect(parsed.text).not.toContain('North Korea denies weapons sales to Russia');
  });

  it('DKIM-signs a test like a real delivery when DKIM is configured', async () => {
    const keys = dkimKeys();
    const signed = createWorkspace({ SMTP_URL: f.smtp.url, DKIM_DOMAIN: keys.domain, DKIM_SELECTOR: keys.selector, DKIM_PRIVATE_KEY_FILE: 'dkim.pem' });
    writeFileSync(join(signed.dir, 'dkim.pem'), keys.privateKeyPem);
    const server = await startPreviewServer({ loadConfig: () => signed.config(), envFile: join(signed.dir, '.env'), port: 0 });
    try {
      const response = await fetch(`${server.url}send-test`, { method: 'POST', headers: { 'x-preview-token': server.token, 'content-type': 'application/x-www-form-urlencoded' }, body: 'to=editor%40example.org&cadence=weekly' });
      expect(await response.json()).toMatchObject({ ok: true });
      const result = await dkimVerify(f.smtp.received[0]!.raw, { resolver: keys.resolver });
      expect(result.results[0]?.status.result).toBe('pass');
    } finally {
      await server.close();
      signed.cleanup();
    }
  });

  it('refuses a test to an unusable address', async () => {
    const response = await f.sendTest({ 'x-preview-token': f.preview.token }, 'not an address');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).message).toContain('not a usable address');
    expect(f.smtp.received).toHaveLength(0);
  });

  it('lists every reason a post is left out', async () => {
    await f.subscribe('ada@example.org');
    const app = await f.ws.app();
    await runSend(app, { cadence: 'weekly' }).finally(() => app.close());
    f.ws.writePost('2099-draft.md', post({ title: 'Draft in progress', date: '2024-01-01', draft: true }));
    f.ws.writePost('2099-future.md', post({ title: 'Scheduled post', date: '2099-03-04T10:00:00Z' }));
    f.ws.writePost('2099-broken.md', '---\ntitle: "Broken"\ndate: 2024-01-01\nauthor: ""\n---\nBody\n');
    f.ws.writePost('2099-new.md', post({ title: 'Fresh trade news', date: '2024-02-01', categories: ['Trade'] }));
    f.ws.writePost('2099-new2.md', post({ title: 'Fresh garden news', date: '2024-02-02', categories: ['Gardening'] }));
    const page = (await f.raw('/?cadence=weekly&topic=Trade')).body;
    const leftOut = page.slice(page.indexOf('data-testid="left-out"'));
    expect(leftOut).toMatch(/Draft in progress.*draft/);
    expect(leftOut).toMatch(/Scheduled post.*future date: goes out in the first edition after 4 March 2099, 10:00 \(UTC\)/);
    expect(leftOut).toMatch(/North Korea denies weapons sales to Russia.*already sent in edition #1/);
    expect(leftOut).toMatch(/invalid front matter: posts\/2099-broken\.md:4: author: must not be empty/);
    expect(leftOut).toMatch(/Fresh garden news.*outside this segment&#39;s topics \(Gardening\)/);
    expect(page.slice(page.indexOf('data-testid="included"'), page.indexOf('data-testid="left-out"'))).toContain('Fresh trade news');
  });

  it('shows a template error with file and line, keeps serving and recovers', async () => {
    const file = join(f.ws.dir, 'templates', 'partials', 'post-card.mjml.hbs');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('{{title}}</a>', '{{#if title}}{{title}}</a>'));
    const broken = await f.raw('/');
    expect(broken.status).toBe(200);
    expect(broken.body).toMatch(/data-testid="render-error"><strong>TemplateError<\/strong>: templates\/partials\/post-card\.mjml\.hbs:\d+:/);
    writeFileSync(file, good);
    const fixed = await f.raw('/');
    expect(fixed.body).not.toContain('render-error');
    expect(fixed.body).toContain('Edition #1 · 10 posts');
  });

  it('lists past editions and opens one as it was sent, without personal tokens', async () => {
    expect((await f.raw('/editions')).body).toContain('No edition has been sent yet.');
    await f.subscribe('ada@example.org');
    const app = await f.ws.app();
    const report = await runSend(app, { cadence: 'weekly' }).finally(() => app.close());
    const list = (await f.raw('/editions')).body;
    expect(list).toContain('<a href="/editions/1">#1</a>');
    expect(list).toContain(report.edition!.subject.replace(/'/g, '&#39;'));
    const one = await f.raw('/editions/1');
    expect(one.status).toBe(200);
    expect(one.body).toContain('North Korea denies weapons sales to Russia');
    expect(one.body).not.toContain('zzpersonal');
    expect((await f.raw('/editions/99')).status).toBe(404);
  });

  it('pushes a change event to listening pages when a post changes', async () => {
    const { connected, seen } = nextChange();
    await connected;
    f.ws.writePost('2099-new.md', post({ title: 'Watched', date: '2024-02-01' }));
    expect(await seen).toMatch(/event: change\ndata: 1\n/);
  });

  it('follows .env: a change there is pushed and the next page uses it', async () => {
    const { connected, seen } = nextChange();
    await connected;
    writeFileSync(join(f.ws.dir, '.env'), 'PUBLICATION_NAME="Renamed by dotenv"\n');
    await seen;
    const page = (await f.raw('/')).body;
    expect(page).toContain('Renamed by dotenv');
    writeFileSync(join(f.ws.dir, '.env'), 'DIGEST_MAX_POSTS=zero\n');
    const broken = (await f.raw('/')).body;
    expect(broken).toMatch(/render-error"><strong>ConfigError<\/strong>: The configuration is invalid.*\n  - DIGEST_MAX_POSTS/);
  });

  it('shows MJML validation findings among the preflight warnings', async () => {
    const file = join(f.ws.dir, 'templates', 'digest.mjml.hbs');
    writeFileSync(file, readFileSync(file, 'utf8').replace('<mj-text padding="16px 24px 0" css-class="ink">', '<mj-text padding="16px 24px 0" css-class="ink" colour="red">'));
    const page = (await f.raw('/')).body;
    expect(page).toMatch(/<li class="warning" data-check="mjml">MJML line \d+: Attribute colour is illegal<\/li>/);
  });
});

/** Listens on /events: `connected` once the stream is open, `seen` with its text after one "change". */
function nextChange(): { connected: Promise<void>; seen: Promise<string> } {
  let connect: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (connect = resolve));
  const seen = new Promise<string>((resolve) => {
    let text = '';
    const req = request({ host: '127.0.0.1', port: f.preview.port, path: '/events', headers: { host: `127.0.0.1:${f.preview.port}` } }, (res) => {
      expect(res.headers['content-type']).toContain('text/event-stream');
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.startsWith('retry:')) connect();
        if (text.includes('event: change')) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on('error', () => undefined);
    req.end();
  });
  return { connected, seen };
}

describe('digest preview (the command)', () => {
  let blocker: Server;
  afterEach(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('takes the next free port when the one asked for is busy and prints the URL', async () => {
    blocker = createServer();
    const busy = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    const child = spawn(process.execPath, cliArgv('preview', '--port', String(busy)), { cwd: f.ws.dir, env: childEnv({ ...f.ws.env, SMTP_URL: '' }) });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Preview of the next digest: (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
    });
    expect(output).toContain(`Port ${busy} is taken`);
    expect(url).not.toContain(`:${busy}/`);
    const page = await fetch(url);
    expect(await page.text()).toContain('North Korea denies weapons sales to Russia');
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopped.');
  });
});
