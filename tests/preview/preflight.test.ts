import { afterEach, describe, expect, it } from 'vitest';
import { previewMessage } from '../../src/edition/preview-message.js';
import { GMAIL_CLIP_BYTES, preflight, type PreflightInput } from '../../src/preview/preflight.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

const base: PreflightInput = {
  subject: 'Weekly digest #1: A title',
  html: '<html><body><a href="https://blog.example.org/a">A</a><img src="https://img.example.org/x.png" alt="A chart"></body></html>',
  text: 'Hello,\n',
  mjmlWarnings: [],
  publicUrl: 'https://digest.example.org/',
};
const warnings = (input: Partial<PreflightInput>) => preflight({ ...base, ...input }).filter((f) => f.level === 'warning');

describe('preflight checks', () => {
  it('finds nothing to warn about in a clean message, and reports its size', () => {
    const findings = preflight(base);
    expect(findings.filter((f) => f.level === 'warning')).toEqual([]);
    expect(findings).toEqual([{ check: 'size', level: 'info', message: expect.stringMatching(/^0\.1 KB of HTML \(0% of Gmail/) }]);
  });

  it('warns when the HTML passes Gmail clipping, counting bytes not characters', () => {
    const under = `<p>${'a'.repeat(GMAIL_CLIP_BYTES - 100)}</p>`;
    expect(warnings({ html: under }).map((f) => f.check)).toEqual(['size']); // over 90%: a warning, not yet clipped
    expect(warnings({ html: under })[0]?.message).not.toContain('clips');
    const multibyte = `<p>${'é'.repeat(GMAIL_CLIP_BYTES / 2 + 10)}</p>`; // ~51 K characters, ~102 KB
    expect(warnings({ html: multibyte })[0]?.message).toContain('Gmail clips the message');
  });

  it('lists images without alt text, or with an empty one', () => {
    const html = '<img src="https://x.org/1.png"><img alt="" src="https://x.org/2.png"><img src="https://x.org/3.png" alt="Fine">';
    const [finding] = warnings({ html });
    expect(finding).toMatchObject({ check: 'alt', message: expect.stringContaining('2 images have no alt text') });
    expect(finding?.message).toContain('https://x.org/1.png, https://x.org/2.png');
    expect(finding?.message).not.toContain('3.png');
  });

  it('flags links that are not absolute https, ignoring anchors and mailto', () => {
    const html = '<a href="http://blog.example.org/p">1</a><a href="/relative">2</a><a href="#post-a">3</a><a href="mailto:a@b.org">4</a><a href="https://ok.org/">5</a><a href=\'javascript:alert(1)\'>6</a>';
    const [finding] = warnings({ html });
    expect(finding?.check).toBe('links');
    expect(finding?.message).toContain('3 links are not absolute https://');
    expect(finding?.message).toContain('http://blog.example.org/p, /relative, javascript:alert(1)');
  });

  it('reports the personal links once as a PUBLIC_URL problem when PUBLIC_URL is http', () => {
    const html = '<a href="http://localhost:3000/unsubscribe/abc">u</a><a href="http://localhost:3000/preferences/abc">p</a><a href="https://blog.example.org/">b</a>';
    const found = warnings({ html, publicUrl: 'http://localhost:3000/' });
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toMatch(/^PUBLIC_URL is http:\/\/localhost:3000\/: .*\(2\) are not https/);
  });

  it('warns about a long or empty subject, an empty text part and MJML findings', () => {
    expect(warnings({ subject: 'x'.repeat(78) })).toEqual([]);
    expect(warnings({ subject: 'x'.repeat(79) })[0]).toMatchObject({ check: 'subject', message: expect.stringContaining('79 characters') });
    expect(warnings({ subject: '' })[0]?.check).toBe('subject');
    expect(warnings({ text: ' \n\n' })[0]).toMatchObject({ check: 'text', message: expect.stringContaining('plain-text part is empty') });
    expect(warnings({ mjmlWarnings: ['MJML line 12: mj-text has invalid attribute'] })).toEqual([{ check: 'mjml', level: 'warning', message: 'MJML line 12: mj-text has invalid attribute' }]);
  });
});

describe('preflight on the real next edition', () => {
  let ws: Workspace;
  afterEach(() => ws.cleanup());

  it('the seed digest is under the clip limit; an http PUBLIC_URL and a missing imageAlt are reported', async () => {
    ws = createWorkspace({ PUBLIC_URL: 'http://localhost:3000/' });
    ws.writePost('2099-01-01-with-image.md', '---\ntitle: "Pictured"\ndate: 2024-01-01\nauthor: "A"\nimage: https://img.example.org/p.png\n---\nBody\n');
    const app = await ws.app({ dryRun: true });
    try {
      const { message } = await previewMessage(app, { cadence: 'weekly' });
      const findings = preflight({ subject: message!.subject, html: message!.html, text: message!.text, mjmlWarnings: message!.warnings, publicUrl: app.config.publicUrl });
      expect(findings.find((f) => f.check === 'size')?.level).toBe('info');
      expect(findings.filter((f) => f.check === 'links').map((f) => f.message)).toEqual([expect.stringMatching(/^PUBLIC_URL is http:\/\/localhost:3000\//)]);
      expect(findings.find((f) => f.check === 'alt')?.message).toContain('https://img.example.org/p.png');
      expect(findings.some((f) => f.check === 'text')).toBe(false);
    } finally {
      await app.close();
    }
  });
});
