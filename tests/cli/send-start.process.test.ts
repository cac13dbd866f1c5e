import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { previewMessage } from '../../src/edition/preview-message.js';
import { renderDigest } from '../../src/render/render-digest.js';
import { buildViewModel } from '../../src/render/view-model.js';
import { cliArgv } from '../support/cli.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

/**
 * `digest send` as shipped (the compiled CLI) compiles MJML in the worker it starts before reading
 * its configuration (render/mjml-thread.ts). What it sends and records is what a render in one
 * thread gives, and a template error stops it, named, before anything is recorded.
 */
const run = promisify(execFile);
const READERS = ['ada@example.org', 'bea@example.org'];

let ws: Workspace;
beforeEach(async () => {
  ws = createWorkspace();
  const app = await ws.app();
  await app.store.upsertSubscribers(READERS.map((email) => ({ email, name: '', status: 'active' as const })), new Date(Date.now() - 60_000));
  await app.close();
});
afterEach(() => ws.cleanup());

function send(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, cliArgv(...(args.length > 0 ? args : ['send'])), { env: { PATH: process.env.PATH ?? '', ...ws.env }, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

const outbox = () => join(ws.env.DATA_DIR!, 'outbox');
const sentFiles = () => (existsSync(outbox()) ? readdirSync(outbox()).filter((f) => f.endsWith('.eml')) : []);

describe('`digest send` with its MJML worker', () => {
  it('records and sends the HTML a render in this thread gives for the same edition', async () => {
    const result = await send();
    expect(result.stdout).toContain('Edition #1 (weekly): 10 posts');
    expect(result.code).toBe(0);
    const app = await ws.app();
    try {
      const edition = (await app.store.getEdition(1))!;
      const view = buildViewModel({ number: 1, cadence: 'weekly', date: edition.createdAt, note: edition.note }, edition.posts, app.publication);
      const here = await renderDigest(await app.templates(), view);
      expect(edition.html).toBe(here.html);
      expect(edition.text).toBe(here.text);
      expect(edition.subject).toBe(here.subject);
      const files = sentFiles();
      expect(files).toHaveLength(READERS.length);
      const mail = await simpleParser(readFileSync(join(outbox(), files[0]!)));
      expect(mail.subject).toBe(here.subject);
      // The delivered HTML is the recorded one with the reader's values in place of the tokens.
      expect(String(mail.html)).toContain('Hello,');
      expect(String(mail.html).length).toBeGreaterThan(here.html.length / 2);
    } finally {
      await app.close();
    }
  });

  it('`digest render` (the same worker) writes the HTML a render in this thread gives', async () => {
    const out = join(ws.dir, 'rendered');
    const result = await send('render', '--out', out);
    expect(result.code).toBe(0);
    const app = await ws.app();
    try {
      const here = (await previewMessage(app, { cadence: 'weekly' })).message!;
      expect(readFileSync(join(out, 'digest.html'), 'utf8')).toBe(here.html);
      expect(readFileSync(join(out, 'digest.txt'), 'utf8')).toBe(here.text);
    } finally {
      await app.close();
    }
    await expectNothingRecorded();
  });

  it('a missing variable stops it with templates/<file>:<line>, exit 1, nothing recorded or sent', async () => {
    const layout = join(ws.dir, 'templates', 'digest.mjml.hbs');
    const source = readFileSync(layout, 'utf8');
    const line = source.split('\n').findIndex((l) => l.includes('{{edition.intro}}')) + 1;
    writeFileSync(layout, source.replace('{{edition.intro}}', '{{edition.nosuch}}'));
    const result = await send();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`templates/digest.mjml.hbs:${line}: "nosuch" not defined`);
    await expectNothingRecorded();
  });

  it('MJML the worker cannot compile stops it the same way (MJML_INVALID), nothing recorded or sent', async () => {
    writeFileSync(join(ws.dir, 'templates', 'digest.mjml.hbs'), 'This is not MJML: {{edition.intro}}\n');
    const result = await send();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('digest send: templates: the MJML produced by the templates could not be compiled: Parsing failed');
    await expectNothingRecorded();
  });
});

async function expectNothingRecorded(): Promise<void> {
  expect(sentFiles()).toEqual([]);
  const app = await ws.app();
  try {
    expect(await app.store.hasEditions('weekly')).toBe(false);
  } finally {
    await app.close();
  }
}
