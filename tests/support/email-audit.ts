import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/**
 * Checks run inside Chromium on a rendered email or page: what text is visible, the contrast of
 * every text node against the background it sits on, and axe-core's findings.
 */

/**
 * Inline properties that Gmail or Outlook for Windows drop (caniemail: position, clip, opacity,
 * overflow, max-height, visibility, text-indent…), plus every <style> block: Gmail drops those for
 * non-Google accounts and whenever a block is too large.
 */
export const STRIPPED_PROPERTIES = ['position', 'clip', 'clip-path', 'opacity', 'overflow', 'max-height', 'max-width', 'visibility', 'text-indent', 'transform', 'mso-hide', 'height', 'width', 'font-size', 'line-height'];

/** Every visible text run, as "text" (whitespace collapsed), in document order. */
export async function visibleTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent ?? '').replace(/\s+/g, ' ').trim();
      const parent = node.parentElement;
      if (!text || !parent) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter((r) => r.width >= 2 && r.height >= 4);
      const style = getComputedStyle(parent);
      const hidden = style.visibility === 'hidden' || Number(style.opacity) === 0 || rects.length === 0 || parseFloat(style.fontSize) < 6;
      if (!hidden) out.push(text);
    }
    return out;
  });
}

/** Removes what Gmail and Outlook strip: <style> blocks and the STRIPPED_PROPERTIES of inline styles, keeping display. */
export async function stripUnsupportedCss(page: Page): Promise<void> {
  await page.evaluate((properties) => {
    for (const style of [...document.querySelectorAll('style')]) style.remove();
    for (const element of [...document.querySelectorAll<HTMLElement>('[style]')]) {
      // Layout sizes on tables and images are kept as attributes by every client: only text containers lose them.
      const keepSize = /^(TABLE|TD|IMG|TR)$/.test(element.tagName);
      for (const property of properties) if (!(keepSize && (property === 'width' || property === 'height'))) element.style.removeProperty(property);
    }
  }, STRIPPED_PROPERTIES);
}

export interface ContrastFinding {
  text: string;
  ratio: number;
  color: string;
  background: string;
}

/**
 * Contrast of every visible text node against the first opaque background behind it. `invert`
 * simulates Gmail's apps, which invert light colours to dark (and leave dark ones) by themselves.
 */
export async function contrastOfText(page: Page, options: { invert?: 'full' | 'partial' } = {}): Promise<ContrastFinding[]> {
  return page.evaluate((invert) => {
    const parse = (value: string): [number, number, number, number] => {
      const m = /rgba?\(([^)]+)\)/.exec(value);
      if (!m) return [0, 0, 0, 0];
      const parts = m[1]!.split(/[ ,/]+/).filter(Boolean).map(Number);
      return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 1];
    };
    const luminance = ([r, g, b]: number[]) => {
      const lin = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
    };
    const flip = (rgb: number[], isBackground: boolean) => {
      if (!invert) return rgb;
      const light = luminance(rgb) > 0.4;
      // Partial (Gmail iOS/Android): light backgrounds become dark, dark text becomes light; the rest stays.
      const change = invert === 'full' || (isBackground ? light : !light);
      return change ? rgb.map((c) => 255 - c) : rgb;
    };
    const backgroundOf = (element: Element | null): number[] => {
      for (let e = element; e; e = e.parentElement) {
        const [r, g, b, a] = parse(getComputedStyle(e).backgroundColor);
        if (a > 0.5) return [r, g, b];
      }
      return [255, 255, 255];
    };
    const findings: { text: string; ratio: number; color: string; background: string }[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent ?? '').replace(/\s+/g, ' ').trim();
      const parent = node.parentElement;
      if (!text || !parent) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      if ([...range.getClientRects()].every((r) => r.width < 1)) continue;
      const fg = flip(parse(getComputedStyle(parent).color).slice(0, 3), false);
      const bg = flip(backgroundOf(parent), true);
      const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
      findings.push({ text: text.slice(0, 60), ratio: Math.round(((l1! + 0.05) / (l2! + 0.05)) * 100) / 100, color: `rgb(${fg.join(',')})`, background: `rgb(${bg.join(',')})` });
    }
    return findings;
  }, options.invert);
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's WCAG 2.x A/AA and best-practice rules on the loaded page; serious and critical ones only unless `all`. */
export async function axeViolations(page: Page, options: { all?: boolean } = {}): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (c: Document, o: object) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)) }));
  });
  return options.all ? violations : violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
