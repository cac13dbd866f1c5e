import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import type { Transport } from '../src/transport/transport.js';

export const REPO = resolve(import.meta.dirname, '..');

/** A throw-away project for one benchmark run: the seed posts and templates, a fresh database. */
export function benchWorkspace(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'digest-bench-'));
  writeFileSync(join(dir, '.env'), ''); // DOTENV_FILE names it: an explicit file must exist
  cpSync(join(REPO, 'templates'), join(dir, 'templates'), { recursive: true });
  cpSync(join(REPO, 'posts'), join(dir, 'posts'), { recursive: true });
  const fullEnv = {
    DATA_DIR: join(dir, 'data'),
    POSTS_DIR: join(dir, 'posts'),
    TEMPLATES_DIR: join(dir, 'templates'),
    DOTENV_FILE: join(dir, '.env'),
    DIGEST_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef',
    PUBLIC_URL: 'https://digest.example.org/',
    DIGEST_FROM: 'International Governments Digest <digest@example.org>',
    LOG_LEVEL: 'silent',
    ...env,
  };
  return {
    dir,
    env: fullEnv,
    app: (transport?: Transport): Promise<App> => createApp(loadConfig(fullEnv, dir), { logger: silentLogger, ...(transport ? { transport } : {}) }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function seedSubscribers(app: App, count: number): Promise<void> {
  const batch = 10_000;
  const confirmed = new Date(Date.now() - 60_000);
  for (let start = 0; start < count; start += batch) {
    const rows = Array.from({ length: Math.min(batch, count - start) }, (_, i) => ({
      email: `reader${start + i}@example.org`,
      name: `Reader ${start + i}`,
      status: 'active' as const,
    }));
    await app.store.upsertSubscribers(rows, confirmed);
  }
}

/** CPU ms (user + system, every thread of this process) and peak RSS in MB, since start. */
export function usage() {
  const cpu = process.cpuUsage();
  return { cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}
