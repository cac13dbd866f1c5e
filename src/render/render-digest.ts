import { messageOf, TemplateError } from '../errors.js';
import type { CompiledTemplates } from './templates.js';
import type { DigestView } from './view-model.js';

/**
 * Stages 4–5: Handlebars → MJML → HTML, and the plain-text part. Runs once per segment (distinct
 * post selection); the result still holds the personal tokens.
 */
export interface RenderedDigest {
  subject: string;
  html: string;
  text: string;
  /** MJML validation findings, "line N: message" in the MJML that Handlebars produced. */
  warnings: string[];
}

export async function renderDigest(templates: CompiledTemplates, view: DigestView): Promise<RenderedDigest> {
  const mjml = templates.html(view);
  const text = normalizeText(templates.text(view));
  const result = await compileMjml(mjml);
  return { subject: view.edition.subject, html: result.html, text, warnings: result.warnings };
}

/**
 * mjml (with juice, cheerio and undici, some 6 MB of JavaScript) is imported on the first render,
 * not when the command starts: a send with nothing new, `status` or `subscribers` never pays
 * for it (about half the CPU of such a run).
 */
let compiler: Promise<(typeof import('mjml'))['default']> | undefined;

async function compileMjml(source: string): Promise<{ html: string; warnings: string[] }> {
  try {
    const mjml2html = await (compiler ??= import('mjml').then((module) => module.default));
    // ignoreIncludes: an mj-include would read files from disk; templates never need it.
    // fonts: {}: MJML would otherwise add Google Fonts links for any web font the styles name,
    // a request to a third party each time the email is opened.
    const result = await mjml2html(source, { validationLevel: 'soft', ignoreIncludes: true, keepComments: false, fonts: {} });
    const warnings = result.errors.map((e) => `MJML line ${e.line}: ${e.message}`);
    if (!result.html.includes('<body')) throw new Error(warnings.join('; ') || 'no HTML produced');
    return { html: withoutIndentation(result.html), warnings };
  } catch (cause) {
    throw new TemplateError('MJML_INVALID', `templates: the MJML produced by the templates could not be compiled: ${messageOf(cause)}`, { cause });
  }
}

/**
 * MJML indents its output generously (a fifth of the bytes). A line break followed by indentation
 * is one space to HTML anyway, so this drops the indentation and keeps the break: the rendering is
 * the same, and the HTML stays far from Gmail's clipping size. (The templates use no <pre>.)
 */
function withoutIndentation(html: string): string {
  return html.replace(/\n[ \t]+/g, '\n').replace(/\n{2,}/g, '\n');
}

/** Trims trailing spaces and collapses blank-line runs left by template logic. */
function normalizeText(text: string): string {
  return `${text
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
