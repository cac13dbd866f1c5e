import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorkspace, post, type Workspace } from '../support/workspace.js';

/** `digest render`: its one-line summary reads right for one post and says when the address is not a subscriber. */
let ws: Workspace;
beforeEach(() => {
  ws = createWorkspace({}, { posts: false });
  ws.writePost('only.md', post({ title: 'The only post', date: '2024-03-01' }));
});
afterEach(() => ws.cleanup());

describe('digest render', () => {
  it('says "1 post", and names an address that is not on the list', async () => {
    const out = join(ws.dir, 'out');
    const stranger = await ws.cli('render', '--out', out, '--subscriber', 'nobody@example.org');
    expect(stranger.code).toBe(0);
    expect(stranger.output).toContain('as nobody@example.org: 1 post, subject');
    expect(stranger.output).toContain('nobody@example.org is not on the list: rendered as an all-topics reader.');
    await ws.cli('subscribers', 'add', 'ada@example.org');
    const known = await ws.cli('render', '--out', out, '--subscriber', 'ada@example.org');
    expect(known.output).toContain('as ada@example.org: 1 post, subject');
    expect(known.output).not.toContain('not on the list');
  });
});
