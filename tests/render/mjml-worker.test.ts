import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { planEdition } from '../../src/pipeline.js';
import { inThreadMjml, type MjmlCompiler } from '../../src/render/mjml.js';
import type * as MjmlThread from '../../src/render/mjml-thread.js';
import { renderDigest } from '../../src/render/render-digest.js';
import { loadTemplates } from '../../src/render/templates.js';
import { buildViewModel, type DigestView } from '../../src/render/view-model.js';
import { BUNDLE } from '../../scripts/build.js';
import { createWorkspace, REPO, type Workspace } from '../support/workspace.js';

/**
 * The MJML worker `digest send` starts (render/mjml-thread.ts), as it ships: compiled, from dist/
 * (the suite's global setup has just built it), both the module tree's and the bundle's, which
 * holds mjml itself (scripts/build.js). Whatever thread compiles, the bytes are the same and
 * errors say the same thing.
 */
const { startMjmlWorker } = (await import(pathToFileURL(join(REPO, 'dist', 'render', 'mjml-thread.js')).href)) as typeof MjmlThread;
const WORKERS: [string, URL | undefined][] = [
  ['the compiled module tree', undefined],
  ['the bundle bin/digest.js runs', pathToFileURL(join(BUNDLE, 'mjml-worker.js'))],
];

let ws: Workspace;
let app: App;
let view: DigestView;
beforeAll(async () => {
  ws = createWorkspace();
  app = await ws.app();
  const { selection, note } = await planEdition(app, 'weekly');
  view = buildViewModel({ number: 4, cadence: 'weekly', date: new Date('2026-11-30T08:00:00Z'), note: note ?? null }, selection.included, app.publication);
});
afterAll(async () => {
  await app.close();
  ws.cleanup();
});

const inThread = inThreadMjml();
const UNKNOWN_ELEMENT = '<mjml><mj-body><mj-section><mj-column><mj-text>One</mj-text><mj-textx>Two</mj-textx></mj-column></mj-section></mj-body></mjml>';

/** The error a compile was refused with (a compile that succeeds fails the test). */
function refusal(compiling: Promise<unknown>): Promise<Error & { code?: string; kind?: string }> {
  return compiling.then(
    () => {
      throw new Error('the source was compiled');
    },
    (error: unknown) => error as Error,
  );
}

describe.each(WORKERS)('MJML compiled in the worker of %s', (_name, workerFile) => {
  let worker: MjmlCompiler;
  beforeAll(() => {
    worker = startMjmlWorker(workerFile);
  });
  afterAll(async () => {
    await worker.close();
  });

  it('renders the real templates and ten posts to the very bytes this thread does', async () => {
    const here = await renderDigest(await loadTemplates(join(ws.dir, 'templates'), inThread), view);
    const there = await renderDigest(await loadTemplates(join(ws.dir, 'templates'), worker), view);
    expect(worker.inWorker).toBe(true);
    expect(there.html).toBe(here.html);
    expect(there.text).toBe(here.text);
    expect(there.warnings).toEqual(here.warnings);
    expect(there.html).toContain('<body');
  });

  it("gives back MJML's validation warnings with their lines, as this thread does", async () => {
    const here = await inThread.compile(UNKNOWN_ELEMENT);
    const there = await worker.compile(UNKNOWN_ELEMENT);
    expect(there.warnings).toEqual(["MJML line 1: Element mj-textx doesn't exist or is not registered"]);
    expect(there).toEqual(here);
  });

  it('inlines <mj-style inline="inline"> as this thread does (juice, which the worker loads only then)', async () => {
    const source = '<mjml><mj-head><mj-style inline="inline">.lead { color: #1b5fa8; font-weight: 700; }</mj-style></mj-head><mj-body><mj-section><mj-column><mj-text css-class="lead"><p class="lead">Ports reopen</p></mj-text></mj-column></mj-section></mj-body></mjml>';
    const there = await worker.compile(source);
    expect(there).toEqual(await inThread.compile(source));
    expect(there.html).toMatch(/<p class="lead" style="[^"]*color: ?#1b5fa8/);
  });

  it('refuses MJML it cannot parse with the same TemplateError (MJML_INVALID) as this thread', async () => {
    const here = await refusal(inThread.compile('this is not MJML'));
    const there = await refusal(worker.compile('this is not MJML'));
    expect(there).toMatchObject({ kind: 'TemplateError', code: 'MJML_INVALID' });
    expect(there.message).toBe(here.message);
    expect(there.message).toContain('could not be compiled: Parsing failed');
    // The worker survives a refused source and compiles the next one.
    expect((await worker.compile(UNKNOWN_ELEMENT)).html).toContain('One');
    expect(worker.inWorker).toBe(true);
  });

  it('carries on in this thread, with the same result, once the worker is gone', async () => {
    const gone = startMjmlWorker(workerFile);
    await gone.close();
    expect(gone.inWorker).toBe(false);
    expect(await gone.compile(UNKNOWN_ELEMENT)).toEqual(await inThread.compile(UNKNOWN_ELEMENT));
  });
});
