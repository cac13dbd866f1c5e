import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/**
 * Checks run inside Chromium on a rendered email or page: what text is visible, the contrast of
 * every text node against the background it sits on, and axe-core's findings. The in-page code is
 * email-audit.browser.js (plain JavaScript, injected).
 */
const AUDIT_SOURCE = readFileSync(new URL('./email-audit.browser.js', import.meta.url), 'utf8');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Inline properties that Gmail or Outlook for Windows drop (caniemail: position, clip, opacity,
 * overflow, max-height, visibility, text-indent…), plus every <style> block: Gmail drops those for
 * non-Google accounts and whenever a block is too large.
 */
export const STRIPPED_PROPERTIES = ['position', 'clip', 'clip-path', 'opacity', 'overflow', 'max-height', 'max-width', 'visibility', 'text-indent', 'transform', 'mso-hide', 'height', 'width', 'font-size', 'line-height'];

async function ensureAudit(page: Page): Promise<void> {
  if (!(await page.evaluate('typeof window.emailAudit === "object"'))) await page.addScriptTag({ content: AUDIT_SOURCE });
}

/** Every visible text run (whitespace collapsed), in document order. */
export async function visibleTexts(page: Page): Promise<string[]> {
  await ensureAudit(page);
  return page.evaluate<string[]>('window.emailAudit.visibleTexts()');
}

/** Removes what Gmail and Outlook strip: <style> blocks and the STRIPPED_PROPERTIES of inline styles (sizes stay on tables and images). */
export async function stripUnsupportedCss(page: Page): Promise<void> {
  await ensureAudit(page);
  await page.evaluate(`window.emailAudit.strip(${JSON.stringify(STRIPPED_PROPERTIES)})`);
}

export interface ContrastFinding {
  text: string;
  ratio: number;
  color: string;
  background: string;
}

/**
 * Contrast of every visible text node against the first opaque background behind it. `invert`
 * simulates Gmail's apps, which invert colours by themselves ('partial': light backgrounds and
 * dark text only; 'full': everything).
 */
export async function contrastOfText(page: Page, options: { invert?: 'full' | 'partial' } = {}): Promise<ContrastFinding[]> {
  await ensureAudit(page);
  return page.evaluate<ContrastFinding[]>(`window.emailAudit.contrast(${JSON.stringify(options.invert ?? null)})`);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core's WCAG 2.x A/AA and best-practice rules on the loaded page; serious and critical ones
 * only unless `all`. axe-core is injected once per document (parsing it costs more than a run), so
 * a page can be audited again after emulateMedia; only violations are collected in full
 * (resultTypes), which spares building selectors for every passing node.
 */
export async function axeViolations(page: Page, options: { all?: boolean } = {}): Promise<AxeViolation[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate<AxeViolation[]>(`axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)) })))`);
  return options.all ? violations : violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
