import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dkimKeys } from '../support/dkim.js';
import { post, REPO } from '../support/workspace.js';
import { hostile, hoursAgo, PASSWD_MARK, type Hostile } from './harness.js';
import { cliArgv } from '../support/cli.js';

/**
 * Wrong configuration, through `digest check` and `digest send`: every problem is listed by its
 * variable name in one go, nothing is sent, and no secret (DIGEST_SECRET, the SMTP password) is
 * ever printed, whether it is the wrong value or a right one next to a wrong one.
 */
let h: Hostile;
afterEach(() => h?.close());

const PASSWORD = 'hunter2-Sup3rSecret';
const SECRET = 'short-secret-value';

async function refused(env: Record<string, string>, names: string[], extra: string[] = []) {
  h = await hostile();
  await h.subscribe({ email: 'ada@example.org' });
  h.ws.writePost('p.md', post({ title: 'Config victim', date: hoursAgo(1) }));
  Object.assign(h.ws.env, env);
  for (const command of ['check', 'send']) {
    const run = await h.cli(command);
    expect(run.code).toBe(1);
    expect(run.output).toContain('The configuration is invalid');
    for (const name of names) expect(run.output).toMatch(new RegExp(`^\\s+- ${name} `, 'm'));
    for (const text of extra) expect(run.output).toContain(text);
    for (const secret of [PASSWORD, SECRET, h.ws.env.DIGEST_SECRET].filter(Boolean)) expect(run.output).not.toContain(secret);
  }
  expect(h.smtp.received).toHaveLength(0);
}

const cases: { name: string; env: Record<string, string>; names: string[]; extra?: string[] }[] = [
  {
    name: 'five wrong variables are listed together',
    env: { DIGEST_MAX_POSTS: 'abc', PORT: '99999', PUBLIC_URL: 'ftp://example.org/', DIGEST_TIMEZONE: 'Mars/Olympus_Mons', SITE_URL: 'javascript:alert(1)' },
    names: ['DIGEST_MAX_POSTS', 'PORT', 'PUBLIC_URL', 'DIGEST_TIMEZONE', 'SITE_URL'],
  },
  { name: 'a cron expression with a 61st minute', env: { DIGEST_SCHEDULE: '61 * * * *' }, names: ['DIGEST_SCHEDULE'], extra: ['not a valid cron expression'] },
  { name: 'a cron expression of 10,000 fields', env: { DIGEST_SCHEDULE: '* '.repeat(10_000) }, names: ['DIGEST_SCHEDULE'] },
  { name: 'a cron expression with a shell command', env: { DIGEST_SCHEDULE: '0 8 * * 1; rm -rf /' }, names: ['DIGEST_SCHEDULE'] },
  { name: 'a short DIGEST_SECRET (value not echoed)', env: { DIGEST_SECRET: SECRET }, names: ['DIGEST_SECRET'], extra: ['at least 32 characters'] },
  { name: 'SMTP_URL with a password and a wrong scheme (password not echoed)', env: { SMTP_URL: `http://user:${PASSWORD}@127.0.0.1:25` }, names: ['SMTP_URL'] },
  { name: 'SMTP_URL that is not a URL (value not echoed)', env: { SMTP_URL: `user:${PASSWORD}` }, names: ['SMTP_URL'] },
  { name: 'SMTP_URL without DIGEST_SECRET', env: { DIGEST_SECRET: '' }, names: ['DIGEST_SECRET'], extra: ['required when SMTP_URL is set'] },
  { name: 'DIGEST_FROM of 20,000 spaces and a "<" (once a cubic regex: hours)', env: { DIGEST_FROM: `${' '.repeat(20_000)}<` }, names: ['DIGEST_FROM'], extra: ['longer than 512 characters'] },
  { name: 'DIGEST_FROM with a quoted local part and group syntax', env: { DIGEST_FROM: 'Digest <"a@b.com x"@internal.example>, group:x@evil.example;' }, names: ['DIGEST_FROM'] },
  { name: 'a time zone that is a path', env: { DIGEST_TIMEZONE: '../../../../etc/passwd' }, names: ['DIGEST_TIMEZONE'] },
  { name: 'DIGEST_MAX_POSTS of zero, and of a billion', env: { DIGEST_MAX_POSTS: '0', SMTP_MAX_CONNECTIONS: '1000000000' }, names: ['DIGEST_MAX_POSTS', 'SMTP_MAX_CONNECTIONS'] },
  {
    name: 'the delivery-fault variables: an unknown resend policy and algorithm, a zero timeout',
    env: { UNCERTAIN_RESEND: 'sometimes', DKIM_ALGORITHM: 'md5', SMTP_CONNECT_TIMEOUT_SECONDS: '0', UNCERTAIN_STOP_AFTER: 'many' },
    names: ['UNCERTAIN_RESEND', 'DKIM_ALGORITHM', 'SMTP_CONNECT_TIMEOUT_SECONDS', 'UNCERTAIN_STOP_AFTER'],
    extra: ['must be once or never', 'must be rsa-sha256 or ed25519-sha256'],
  },
  { name: 'a secret wrong alongside other wrong variables', env: { DIGEST_SECRET: SECRET, PORT: '-1', DIGEST_FROM: 'not an address' }, names: ['DIGEST_SECRET', 'PORT', 'DIGEST_FROM'] },
];

describe('configuration problems are listed by name; secrets never printed', () => {
  it.each(cases)('$name', async ({ env, names, extra }) => refused(env, names, extra));

  it('DOTENV_FILE pointing at /etc/passwd shows none of it', async () => {
    h = await hostile({ DOTENV_FILE: '/etc/passwd' });
    const run = await h.cli('check');
    expect(run.output).not.toContain(PASSWD_MARK);
    expect(run.output).not.toContain('/bin/bash');
  });

  it('problems in .env are listed the same way, and its secret is not echoed', async () => {
    h = await hostile();
    delete h.ws.env.DIGEST_SECRET;
    writeFileSync(join(h.ws.dir, '.env'), `DIGEST_SECRET=${SECRET}\nPUBLICATION_NAME="Digest\\nBcc: victim@evil.example"\n`);
    const run = await h.cli('check');
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/- DIGEST_SECRET must be at least 32/);
    expect(run.output).toMatch(/- PUBLICATION_NAME must be a single line/);
    expect(run.output).not.toContain(SECRET);
  });
});

describe('the real process, logging at info, never prints a secret', () => {
  const run = (env: Record<string, string>, args: string[]) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, cliArgv(...args), { cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env, LOG_LEVEL: 'info' } });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', (code) => resolve({ code, output }));
    });

  it('send (right and wrong password), status and check: no DIGEST_SECRET, no SMTP password', async () => {
    h = await hostile({}, { smtp: { auth: { user: 'digest', pass: PASSWORD } } });
    await h.subscribe({ email: 'ada@example.org' });
    h.ws.writePost('p.md', post({ title: 'Logged', date: hoursAgo(1) }));
    const secret = h.ws.env.DIGEST_SECRET!;
    const wrong = await run({ ...h.ws.env, SMTP_URL: h.ws.env.SMTP_URL!.replace(PASSWORD, `${PASSWORD}x`) }, ['send']);
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain('refused the login');
    const sent = await run(h.ws.env, ['send']);
    expect(sent.code).toBe(0);
    expect(sent.output).toContain('sent 1');
    expect(sent.output).toMatch(/edition\.(created|delivered)/);
    const status = await run(h.ws.env, ['status']);
    const check = await run(h.ws.env, ['check']);
    for (const { output } of [wrong, sent, status, check]) {
      expect(output).not.toContain(PASSWORD);
      expect(output).not.toContain(secret);
    }
    expect(h.smtp.received).toHaveLength(1);
  });
});

describe('a bad cron expression refuses start-up of the long-running commands', () => {
  it.each([
    ['start', 'DIGEST_SCHEDULE', '0 25 * * *'],
    ['schedule', 'DIGEST_SCHEDULE', 'every monday'],
    ['start', 'DIGEST_DAILY_SCHEDULE', '* * * * * * *'],
    ['start', 'DIGEST_MONTHLY_SCHEDULE', '0 8 32 * *'],
  ])('digest %s with %s="%s"', async (command, name, value) => {
    h = await hostile({ [name]: value });
    const run = await h.cli(command);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(new RegExp(`- ${name} is not a valid cron expression`));
    expect(run.output).not.toContain(h.ws.env.DIGEST_SECRET);
  });
});

describe('wrong places on disk and wrong credentials', () => {
  it('a missing posts folder is named', async () => {
    h = await hostile({ POSTS_DIR: '/nonexistent/posts' });
    const run = await h.cli('check');
    expect(run.code).toBe(1);
    expect(run.output).toContain('The posts folder /nonexistent/posts cannot be read: create it or set POSTS_DIR');
  });

  it('TEMPLATES_DIR pointing at /etc is a clear error, with no file content shown', async () => {
    h = await hostile({ TEMPLATES_DIR: '/etc' });
    h.ws.writePost('p.md', post({ title: 'x', date: hoursAgo(1) }));
    const run = await h.cli('check');
    expect(run.code).toBe(1);
    expect(run.output).toContain('/etc/digest.mjml.hbs is missing');
    expect(run.output).not.toContain(PASSWD_MARK);
  });

  it('DATA_DIR that is a file: the store says so and nothing is sent', async () => {
    h = await hostile();
    writeFileSync(join(h.ws.dir, 'a-file'), 'not a folder');
    h.ws.env.DATA_DIR = join(h.ws.dir, 'a-file');
    h.ws.writePost('p.md', post({ title: 'x', date: hoursAgo(1) }));
    const run = await h.cli('send');
    expect(run.code).toBe(1);
    expect(run.output).toContain(`The database ${join(h.ws.dir, 'a-file', 'digest.sqlite')} cannot be used`);
    expect(h.smtp.received).toHaveLength(0);
  });

  it('a wrong SMTP password: refused login, password redacted, nothing recorded, next run sends', async () => {
    h = await hostile({}, { smtp: { auth: { user: 'digest', pass: PASSWORD } } });
    await h.subscribe({ email: 'ada@example.org' });
    h.ws.writePost('p.md', post({ title: 'Auth', date: hoursAgo(1) }));
    const right = h.ws.env.SMTP_URL!;
    h.ws.env.SMTP_URL = right.replace(PASSWORD, 'wrong-Passw0rd-xyz');
    const denied = await h.cli('send');
    expect(denied.code).toBe(1);
    expect(denied.output).toMatch(/refused the login/);
    expect(denied.output).not.toContain('wrong-Passw0rd-xyz');
    expect(h.smtp.received).toHaveLength(0);
    h.ws.env.SMTP_URL = right;
    const sent = await h.cli('send');
    expect(sent.code).toBe(0);
    expect(sent.output).not.toContain(PASSWORD);
    expect(h.smtp.received.map((r) => r.to)).toEqual([['ada@example.org']]);
  });

  it('a posts folder that is unreadable mid-way (removed) does not count as "no posts"', async () => {
    h = await hostile();
    await h.subscribe({ email: 'ada@example.org' });
    rmSync(join(h.ws.dir, 'posts'), { recursive: true });
    const run = await h.cli('send');
    expect(run.code).toBe(1);
    expect(run.output).toContain('cannot be read');
    mkdirSync(join(h.ws.dir, 'posts'));
  });
});

describe('every configuration problem at once, in plain words (QA findings)', () => {
  it.each<{ name: string; env: Record<string, string>; names: string[]; extra: string[] }>([
    { name: 'LOG_LEVEL=verbose is listed, not a logger stack trace', env: { LOG_LEVEL: 'verbose' }, names: ['LOG_LEVEL'], extra: ['must be one of silent, error, warn, info, debug (got "verbose")'] },
    {
      name: 'cross-variable rules are listed together with single-variable problems',
      env: { PORT: '99999', DKIM_DOMAIN: 'example.org', DIGEST_SECRET: '' },
      names: ['PORT', 'DKIM signing needs', 'DIGEST_SECRET'],
      extra: ['only DKIM_DOMAIN set', 'required when SMTP_URL is set'],
    },
    { name: 'a number that is not a number', env: { SMTP_MAX_CONNECTIONS: 'abc' }, names: ['SMTP_MAX_CONNECTIONS'], extra: ['SMTP_MAX_CONNECTIONS must be a number, e.g. 5 (got "abc")'] },
    { name: 'a fraction where a whole number is needed', env: { DIGEST_MAX_POSTS: '2.5' }, names: ['DIGEST_MAX_POSTS'], extra: ['DIGEST_MAX_POSTS must be a whole number, e.g. 5 (got "2.5")'] },
    { name: 'out of range, in words', env: { PORT: '99999', DIGEST_MAX_POSTS: '0' }, names: ['PORT', 'DIGEST_MAX_POSTS'], extra: ['PORT must be at most 65535', 'DIGEST_MAX_POSTS must be at least 1'] },
  ])('$name', async ({ env, names, extra }) => {
    await refused(env, names, extra);
    const run = await h.cli('check');
    expect(run.output).not.toMatch(/Invalid input|Too (small|big)|expected \w+, received|custom levels|at .*\.ts:\d+/);
  });

  it('an invalid PUBLIC_URL is reported once', async () => {
    h = await hostile({ PUBLIC_URL: 'not a url' });
    const run = await h.cli('check');
    expect(run.code).toBe(1);
    expect(run.output.match(/- PUBLIC_URL /g)).toHaveLength(1);
  });

  it('a DOTENV_FILE that does not exist is an error naming it; a missing default ./.env is fine', async () => {
    h = await hostile({ DOTENV_FILE: join('/nonexistent', 'digest.env') });
    const run = await h.cli('check');
    expect(run.code).toBe(1);
    expect(run.output).toContain('DOTENV_FILE names /nonexistent/digest.env, which does not exist');
    delete h.ws.env.DOTENV_FILE;
    rmSync(join(h.ws.dir, '.env'));
    const cwd = process.cwd();
    process.chdir(h.ws.dir);
    try {
      expect((await h.cli('check')).output).toContain('Config: ok');
    } finally {
      process.chdir(cwd);
    }
  });

  it('the real process with LOG_LEVEL=verbose lists the problem and exits 1, no stack trace', async () => {
    h = await hostile();
    const child = spawn(process.execPath, [join(REPO, 'bin', 'digest.js'), 'check'], { cwd: h.ws.dir, env: { PATH: process.env.PATH ?? '', ...h.ws.env, LOG_LEVEL: 'verbose' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/^\s+- LOG_LEVEL must be one of/m);
    expect(output).not.toMatch(/custom levels|\n\s+at /);
  });
});

describe('a DKIM key that cannot be used (QA finding)', () => {
  const dkim = (file: string) => ({ DKIM_DOMAIN: 'example.org', DKIM_SELECTOR: 's', DKIM_PRIVATE_KEY_FILE: file });

  it('an RSA key with DKIM_ALGORITHM=ed25519-sha256: send names the mismatch and how to make the right key, before recording an edition', async () => {
    h = await hostile();
    const path = join(h.ws.dir, 'rsa.pem');
    writeFileSync(path, dkimKeys().privateKeyPem);
    Object.assign(h.ws.env, dkim(path), { DKIM_ALGORITHM: 'ed25519-sha256' });
    await h.subscribe({ email: 'ada@example.org' });
    h.ws.writePost('p.md', post({ title: 'Signed', date: hoursAgo(1) }));
    const send = await h.cli('send');
    expect(send.code).toBe(1);
    expect(send.output).toContain(`DKIM_PRIVATE_KEY_FILE ${path} must hold an Ed25519 key for DKIM_ALGORITHM=ed25519-sha256 (got rsa). Make one with: openssl genpkey -algorithm ed25519`);
    expect(h.smtp.received).toHaveLength(0);
  });

  it.each([
    ['a missing key file', '/nonexistent.pem'],
    ['a file that is not PEM', 'not-a-key.pem'],
  ])('%s: check names DKIM_PRIVATE_KEY_FILE and the path; send refuses before recording an edition', async (_name, file) => {
    h = await hostile();
    const path = file.startsWith('/') ? file : join(h.ws.dir, file);
    if (!file.startsWith('/')) writeFileSync(path, 'hello, I am not a key\n');
    Object.assign(h.ws.env, dkim(path));
    await h.subscribe({ email: 'ada@example.org' });
    h.ws.writePost('p.md', post({ title: 'Signed', date: hoursAgo(1) }));
    const check = await h.cli('check');
    expect(check.code).toBe(1);
    expect(check.output).toContain(`DKIM_PRIVATE_KEY_FILE ${path} is not a readable PEM private key`);
    expect(check.output).not.toContain('Everything is ready to send');
    const send = await h.cli('send');
    expect(send.code).toBe(1);
    expect(send.output).toContain(`DKIM_PRIVATE_KEY_FILE ${path}`);
    expect(h.smtp.received).toHaveLength(0);
    const app = await h.ws.app();
    try {
      expect(await app.store.listEditions(10)).toHaveLength(0);
    } finally {
      await app.close();
    }
  });
});
