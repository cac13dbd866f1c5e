import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { form, startWebHarness, type WebHarness } from '../web/harness.js';
import { assertWellFormed, headerNames, PASSWD_MARK } from './harness.js';

/**
 * Hostile requests to the public web server, over real HTTP: sign-ups that try to add headers or
 * recipients, bodies that are too large, forged, tampered or foreign tokens, and paths that try
 * to leave the archive. Each gets a plain 4xx page, changes nothing and leaks nothing.
 */
let h: WebHarness;
beforeEach(async () => {
  h = await startWebHarness({}, { signupBurst: 100 });
});
afterEach(() => h.close());

async function signUp(fields: Record<string, string>): Promise<Response> {
  const response = await fetch(`${h.url}subscribe`, { method: 'POST', redirect: 'manual', body: form(fields) });
  await h.server.idle();
  return response;
}

async function statusOf(email: string): Promise<string | undefined> {
  return (await (await h.otherApp()).store.findSubscriber(email))?.status;
}

describe('sign-up', () => {
  it('CR LF + Bcc in the name: one To header, no Bcc, the envelope holds only the address', async () => {
    const response = await signUp({ email: 'ada@example.org', name: 'Ada\r\nBcc: victim@evil.example\r\nSubject: pwned' });
    expect(response.status).toBe(200);
    const mail = await h.mailTo('ada@example.org');
    assertWellFormed(mail, expect);
    expect(h.smtp.received.map((r) => r.to)).toEqual([['ada@example.org']]);
    expect(headerNames(mail.raw).filter((n) => n === 'subject')).toHaveLength(1);
    expect(mail.parsed.subject).not.toContain('pwned');
  });

  it('an emoji and non-ASCII name: the confirmation mail has ASCII-only, well-formed headers', async () => {
    expect((await signUp({ email: 'zoe@example.org', name: 'Zoë 🌍 Ünal \u202Egnp.exe' })).status).toBe(200);
    const mail = await h.mailTo('zoe@example.org');
    assertWellFormed(mail, expect);
    // The typed name is not the address owner's yet: the confirmation's To carries the address only.
    expect(mail.parsed.to).toMatchObject({ value: [{ name: '', address: 'zoe@example.org' }] });
  });

  it.each([
    ['a quoted local part hiding another address', '"a@b.com x"@internal.example', 400],
    ['two @ signs', 'a@b@c', 400],
    // 10,000 colons URL-encode to 50 KB: refused by the body limit before any parsing.
    ['group syntax with 10,000 colons', `${'g:'.repeat(10_000)}a@example.org;`, 413],
    ['group syntax with 2,000 colons', `${'g:'.repeat(2_000)}a@example.org;`, 400],
    ['a CR LF and a Bcc line', 'ada@example.org\r\nBcc: victim@evil.example', 400],
    ['two addresses', 'ada@example.org, victim@evil.example', 400],
  ])('%s is refused (%i) and nothing is stored or sent', async (_name, email, status) => {
    const response = await signUp({ email, name: '<script>alert(1)</script>' });
    expect(response.status).toBe(status);
    const page = await response.text();
    if (status === 400) expect(page).toContain('Please check the email address');
    expect(page).not.toContain('<script>alert');
    expect(h.smtp.received).toHaveLength(0);
    expect(await (await h.otherApp()).store.countSubscribers()).toMatchObject({ pending: 0, active: 0 });
  });

  it('a 1 MB form is refused with 413 and the server keeps serving', async () => {
    const response = await fetch(`${h.url}subscribe`, { method: 'POST', body: form({ email: 'ada@example.org', name: 'x'.repeat(1024 * 1024) }) });
    expect(response.status).toBe(413);
    expect((await fetch(h.url)).status).toBe(200);
    expect(h.smtp.received).toHaveLength(0);
  });

  it('an email field sent as a file upload, and a JSON body, are refused with 400 (not 500)', async () => {
    const multipart = new FormData();
    multipart.append('email', new Blob(['ada@example.org'], { type: 'text/plain' }), 'email.txt');
    const upload = await fetch(`${h.url}subscribe`, { method: 'POST', body: multipart });
    expect(upload.status).toBe(400);
    const json = await fetch(`${h.url}subscribe`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.org' }) });
    expect(json.status).toBe(400);
    await h.server.idle();
    expect(h.smtp.received).toHaveLength(0);
  });

  it('topics named like Object.prototype keys are dropped, and nothing is polluted', async () => {
    const params = form({ email: 'ada@example.org', topics: ['__proto__', 'constructor', 'toString'] });
    params.append('__proto__[polluted]', 'yes');
    const response = await fetch(`${h.url}subscribe`, { method: 'POST', body: params });
    await h.server.idle();
    expect(response.status).toBe(200);
    expect((await (await h.otherApp()).store.findSubscriber('ada@example.org'))?.categories).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a 10,000-character name and an unknown cadence are refused', async () => {
    expect((await signUp({ email: 'ada@example.org', name: 'n'.repeat(10_000) })).status).toBe(400);
    expect((await signUp({ email: 'ada@example.org', name: '<'.repeat(10_000) })).status).toBe(400);
    expect((await signUp({ email: 'ada@example.org', cadence: 'hourly' })).status).toBe(400);
    expect(await statusOf('ada@example.org')).toBeUndefined();
  });
});

describe('tokens', () => {
  let good: string;
  beforeEach(async () => {
    await h.app.store.upsertSubscribers([{ email: 'ada@example.org', status: 'active' }], new Date(Date.now() - 60_000));
    const ada = await h.app.store.findSubscriber('ada@example.org');
    good = h.app.signer.sign('unsubscribe', ada!.id);
  });

  const forged = (good: string, signer: WebHarness['app']['signer'], id: number): [string, string][] => [
    ['garbage', 'not-a-token'],
    ['10,000 characters', 'a'.repeat(10_000)],
    ['a tampered MAC', `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`],
    ['another subscriber id with this MAC', `${(id + 1).toString(36)}${good.slice(good.indexOf('.'))}`],
    ['a preferences token', signer.sign('preferences', id)],
    ['a confirm token', signer.sign('confirm', id)],
    ['a path traversal', '..%2F..%2F..%2Fetc%2Fpasswd'],
    ['a NUL byte', `${good}%00`],
  ];

  it('forged, tampered and foreign tokens: 404 page, status unchanged, for GET and one-click POST', async () => {
    const ada = await h.app.store.findSubscriber('ada@example.org');
    for (const [name, token] of forged(good, h.app.signer, ada!.id)) {
      const get = await fetch(`${h.url}unsubscribe/${token}`);
      expect(get.status, name).toBe(404);
      const post = await fetch(`${h.url}unsubscribe/${token}`, { method: 'POST', body: form({ 'List-Unsubscribe': 'One-Click' }) });
      expect(post.status, name).toBe(404);
      expect(await post.text()).not.toContain(PASSWD_MARK);
      expect(await statusOf('ada@example.org'), name).toBe('active');
    }
  });

  it('the real token without the one-click body changes nothing', async () => {
    const post = await fetch(`${h.url}unsubscribe/${good}`, { method: 'POST', body: form({ 'List-Unsubscribe': 'yes please' }) });
    expect(post.status).toBe(400);
    expect(await statusOf('ada@example.org')).toBe('active');
  });

  it('a multipart body without its boundary, or cut short, answers 400 and changes nothing', async () => {
    const boundary = 'xyz123';
    const whole = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    const bodies: [string, string, string][] = [
      ['no boundary', 'multipart/form-data', whole],
      ['cut short', `multipart/form-data; boundary=${boundary}`, whole.slice(0, 60)],
    ];
    for (const [name, type, body] of bodies) {
      for (const path of [`unsubscribe/${good}`, 'subscribe']) {
        const response = await fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
        expect(response.status, `${name} to /${path}`).toBe(400);
        expect(await response.text()).toContain('The form could not be read');
      }
    }
    expect(await statusOf('ada@example.org')).toBe('active');
    expect((await (await h.otherApp()).store.countSubscribers()).pending).toBe(0);
    // The same body whole does unsubscribe: the 400s were about the form, not the request.
    const post = await fetch(`${h.url}unsubscribe/${good}`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: whole });
    expect(post.status).toBe(200);
    expect(await statusOf('ada@example.org')).toBe('unsubscribed');
  });

  it('an unsubscribe token cannot confirm a sign-up', async () => {
    await h.app.store.upsertSubscribers([{ email: 'pending@example.org', status: 'pending' }], new Date());
    const pending = await h.app.store.findSubscriber('pending@example.org');
    const response = await fetch(`${h.url}confirm/${h.app.signer.sign('unsubscribe', pending!.id)}`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await statusOf('pending@example.org')).toBe('pending');
  });
});

describe('paths', () => {
  it.each(['archive/..%2F..%2F..%2Fetc%2Fpasswd', 'archive/99999999999', 'archive/1%00', 'archive/-1', '..%2F..%2Fetc%2Fpasswd', 'assets/..%2F..%2F..%2Fetc%2Fpasswd', 'archive/1e3'])(
    '/%s is a 404 with no file content',
    async (path) => {
      const response = await fetch(`${h.url}${path}`);
      expect(response.status).toBe(404);
      const body = await response.text();
      expect(body).not.toContain(PASSWD_MARK);
      expect(response.headers.get('content-security-policy')).toBeTruthy();
    },
  );
});

describe('stored and forwarded values', () => {
  it('a name that closes its attribute is shown escaped on the preferences page', async () => {
    await h.app.store.upsertSubscribers([{ email: 'ada@example.org', name: '" autofocus onfocus="alert(1)', status: 'active' }], new Date());
    const ada = await h.app.store.findSubscriber('ada@example.org');
    const page = await (await fetch(`${h.url}preferences/${h.app.signer.sign('preferences', ada!.id)}`)).text();
    expect(page).toContain('autofocus');
    expect(page).not.toContain('" autofocus onfocus="alert(1)');
    expect(page).not.toMatch(/\sonfocus="alert/);
  });

  it('a forged Host header does not change the links in the confirmation mail', async () => {
    const { port } = new URL(h.url);
    const body = form({ email: 'ada@example.org', name: 'Ada' }).toString();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/subscribe', method: 'POST', headers: { Host: 'evil.example', 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    await h.server.idle();
    const mail = await h.mailTo('ada@example.org');
    expect(mail.parsed.text).toContain(`${h.url}confirm/`);
    expect(`${mail.parsed.text}${String(mail.parsed.html)}`).not.toContain('evil.example');
  });

  it('X-Forwarded-For is not trusted by default: spoofed addresses do not lift the sign-up limit', async () => {
    await h.close();
    h = await startWebHarness({}, { signupBurst: 2, signupRefillMs: 3_600_000 });
    const codes: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await fetch(`${h.url}subscribe`, { method: 'POST', body: form({ email: `r${i}@example.org` }), headers: { 'X-Forwarded-For': `10.0.0.${i}` } });
      codes.push(response.status);
    }
    await h.server.idle();
    expect(codes).toEqual([200, 200, 429, 429, 429]);
  });
});

describe('the public archive', () => {
  it('an edition with hostile post text is served and fed without markup, placeholders or anyone’s data', async () => {
    await h.app.store.upsertSubscribers([{ email: 'ada@example.org', name: 'Ada', status: 'active' }], new Date(Date.now() - 60_000));
    h.ws.writePost(
      'zz-hostile.md',
      `---\ntitle: "<script>alert(1)</script>Archive ]]></title><x> zzpersonalemailzz"\ndate: ${new Date(Date.now() - 60_000).toISOString()}\nauthor: "A"\nurl: "https://evil.example/?e=zzpersonalemailzz"\n---\n\n<iframe src=x></iframe> Body.\n`,
    );
    const report = await runSend(h.app, { cadence: 'weekly' });
    const n = report.edition!.number;
    for (const path of [`archive/${n}`, 'archive', 'archive/feed.atom']) {
      const body = await (await fetch(`${h.url}${path}`)).text();
      expect(body, path).toContain('Archive');
      expect(body, path).not.toMatch(/<script|<iframe|<x>|ada@example\.org|evil\.example\/\?e=(?!zz-)/);
    }
  });
});
