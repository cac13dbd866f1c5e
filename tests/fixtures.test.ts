import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWorkspace, FIXTURE_POSTS, REPO } from './support/workspace.js';

/**
 * Tests use their own copy of the posts (tests/fixtures/posts), so an editor adding or changing a
 * post in posts/ breaks no test. This keeps it so: the workspace holds the fixtures, and no test
 * file names the live folder.
 */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the live posts/ folder is not read by tests', () => {
  it('a workspace holds exactly the fixture posts', () => {
    const ws = createWorkspace();
    try {
      const copied = readdirSync(join(ws.dir, 'posts')).sort();
      expect(copied).toEqual(readdirSync(FIXTURE_POSTS).sort());
      for (const name of copied) expect(readFileSync(join(ws.dir, 'posts', name), 'utf8')).toBe(readFileSync(join(FIXTURE_POSTS, name), 'utf8'));
    } finally {
      ws.cleanup();
    }
  });

  it('no test file builds a path to the repository posts/ folder', () => {
    const offenders = testFiles(join(REPO, 'tests'))
      .filter((file) => /REPO,\s*['"]posts['"]|\.\.\/posts['"/]|['"]\.\/posts['"/]/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(REPO, file));
    expect(offenders).toEqual([]);
  });
});
