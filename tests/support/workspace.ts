import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp, type App, type AppOptions } from '../../src/app.js';
import { main } from '../../src/cli.js';
import { configVariables, loadConfig, type Config } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';

export const REPO = resolve(import.meta.dirname, '../..');
/**
 * The tests' own copy of the seed posts. Tests never read the live posts/ folder: an editor adding
 * a post there must not change what any test sees (tests/fixtures.test.ts keeps it so).
 */
export const FIXTURE_POSTS = join(REPO, 'tests', 'fixtures', 'posts');

/**
 * The product's own variables. None of them reaches a test's run from the shell that started the
 * suite (a DATABASE_URL there would send process tests to that database): a run sees the
 * workspace's environment and nothing else of the product's.
 */
const PRODUCT_VARIABLES = [...configVariables().map((variable) => variable.name), 'DOTENV_FILE'];

/** The environment of a child `digest` process: this process's, without the product's variables, then `env`. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of PRODUCT_VARIABLES) delete base[name];
  return { ...base, ...env };
}

/**
 * A throw-away project folder: a copy of the fixture posts and the real templates, its own data folder and
 * environment. Tests change posts on disk here exactly as an editor would.
 */
export interface Workspace {
  dir: string;
  env: Record<string, string>;
  config(): Config;
  app(options?: AppOptions): Promise<App>;
  /** Runs the CLI in this process; returns exit code and printed lines. */
  cli(...args: string[]): Promise<{ code: number; output: string }>;
  /** The same, printing through `print` and waiting on `drained` as a command would on stdout. */
  cliWith(io: { print: (line: string) => void; drained: () => Promise<boolean> }, ...args: string[]): Promise<number>;
  writePost(name: string, content: string): void;
  removePost(name: string): void;
  cleanup(): void;
}

export function createWorkspace(env: Record<string, string> = {}, options: { posts?: boolean } = {}): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'digest-test-'));
  writeFileSync(join(dir, '.env'), ''); // DOTENV_FILE names it: an explicit file must exist
  cpSync(join(REPO, 'templates'), join(dir, 'templates'), { recursive: true });
  if (options.posts !== false) cpSync(FIXTURE_POSTS, join(dir, 'posts'), { recursive: true });
  else cpSync(FIXTURE_POSTS, join(dir, 'posts'), { recursive: true, filter: (src) => !src.endsWith('.md') });
  const fullEnv: Record<string, string> = {
    DATA_DIR: join(dir, 'data'),
    POSTS_DIR: join(dir, 'posts'),
    TEMPLATES_DIR: join(dir, 'templates'),
    SAMPLE_SUBSCRIBERS: join(dir, 'no-samples.csv'),
    DOTENV_FILE: join(dir, '.env'),
    DIGEST_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
    PUBLIC_URL: 'https://digest.example.org/',
    SITE_URL: 'https://blog.example.org/',
    DIGEST_FROM: 'International Governments Digest <digest@example.org>',
    LOG_LEVEL: 'silent',
    ...env,
  };
  const config = () => loadConfig(fullEnv, dir);
  return {
    dir,
    env: fullEnv,
    config,
    app: (options = {}) => createApp(config(), { logger: silentLogger, ...options }),
    async cli(...args) {
      const lines: string[] = [];
      const code = await this.cliWith({ print: (line) => lines.push(line), drained: async () => true }, ...args);
      return { code, output: lines.join('\n') };
    },
    async cliWith(io, ...args) {
      const saved = { ...process.env };
      for (const name of PRODUCT_VARIABLES) delete process.env[name];
      Object.assign(process.env, fullEnv);
      try {
        return await main(args, io.print, io.drained);
      } finally {
        for (const key of Object.keys(fullEnv)) if (!(key in saved)) delete process.env[key];
        Object.assign(process.env, saved);
      }
    },
    writePost: (name, content) => writeFileSync(join(dir, 'posts', name), content),
    removePost: (name) => rmSync(join(dir, 'posts', name)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A workspace with one short post (dated mid-2025, before every fake clock the tests start) instead
 * of the ten seed posts: for tests about delivery, faults or scheduling, where the digest's size
 * is not what is tested and rendering ten posts per run was most of the time.
 */
export function createOnePostWorkspace(env: Record<string, string> = {}): Workspace {
  const ws = createWorkspace(env, { posts: false });
  ws.writePost('2025-06-01-one-post.md', post({ title: 'The one post', date: '2025-06-01T00:00:00Z' }));
  return ws;
}

export function post(fields: { title: string; date: string; categories?: string[]; draft?: boolean; slug?: string }, body = 'A paragraph of body text.'): string {
  const lines = ['---', `title: ${JSON.stringify(fields.title)}`, `date: ${fields.date}`, 'author: "Test Author"'];
  lines.push(`categories: ${JSON.stringify(fields.categories ?? ['International Governments'])}`);
  if (fields.draft !== undefined) lines.push(`draft: ${fields.draft}`);
  if (fields.slug) lines.push(`slug: ${fields.slug}`);
  return `${lines.join('\n')}\n---\n\n${body}\n`;
}
