import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, DEFERRED_MJML_PARTS, loadedOnDemand } from '../../scripts/build.js';
import { DEFERRED_MJML_PARTS as DEFERRED_IN_THE_WORKER } from '../../src/render/mjml-unused-parts.js';
import { cliArgv } from '../support/cli.js';
import { freshDatabase, type TestDatabase } from '../support/postgres.js';
import { childEnv, createWorkspace, REPO } from '../support/workspace.js';

/**
 * The bundled CLI (dist/bundle/, scripts/build.js) finds what the compiled modules found beside
 * themselves, and leaves the packages loaded on demand to Node, so each stays one module; the
 * MJML worker's file holds mjml, less the parts the worker loads only when touched.
 */
const run = promisify(execFile);
/** Whether bundled code holds the package: esbuild heads each module it takes in with a comment naming its path. */
const holds = (code: string, name: string) => new RegExp(`^// node_modules/${name}/`, 'm').test(code);
let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('the bundled CLI', () => {
  it('reads package.json for --version and the PostgreSQL migrations from beside itself', async () => {
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    expect((await run(process.execPath, cliArgv('--version'))).stdout.trim()).toBe(version);
    const ws = createWorkspace({ DATABASE_URL: db.url });
    try {
      const { stdout } = await run(process.execPath, cliArgv('migrate'), { cwd: ws.dir, env: childEnv(ws.env) });
      expect(stdout).toMatch(/Applied 6 migrations to .*: 0001_ledger\.sql, .*0006_final_counts\.sql/);
    } finally {
      ws.cleanup();
    }
  });

  it('holds none of the packages a module loads on demand with createRequire', () => {
    const lazy = loadedOnDemand();
    expect(lazy).toEqual(expect.arrayContaining(['handlebars', 'js-yaml', 'sanitize-html', 'cron-parser']));
    const bundled = readdirSync(BUNDLE)
      .filter((name) => name.endsWith('.js'))
      .map((name) => readFileSync(join(BUNDLE, name), 'utf8'))
      .join('\n');
    expect(holds(bundled, 'zod')).toBe(true);
    for (const name of lazy) expect(holds(bundled, name), name).toBe(false);
  });

  it("holds mjml in the MJML worker's file, less the parts the worker defers", () => {
    expect(DEFERRED_MJML_PARTS).toEqual(DEFERRED_IN_THE_WORKER);
    const worker = readFileSync(join(BUNDLE, 'mjml-worker.js'), 'utf8');
    expect(holds(worker, 'mjml-core')).toBe(true);
    for (const name of DEFERRED_MJML_PARTS) expect(holds(worker, name), name).toBe(false);
  });
});
