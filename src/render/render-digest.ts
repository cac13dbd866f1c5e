import type { CompiledTemplates } from './templates.js';
import type { DigestView } from './view-model.js';

/**
 * Stages 4–5: Handlebars → MJML → HTML, and the plain-text part. Runs once per segment (distinct
 * post selection); the result still holds the personal tokens. The MJML step is the templates'
 * compiler: in this thread, or in the worker `digest send` starts (mjml-thread.ts).
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
  const result = await templates.mjml.compile(mjml);
  return { subject: view.edition.subject, html: result.html, text, warnings: result.warnings };
}

/** Trims trailing spaces and collapses blank-line runs left by template logic. */
function normalizeText(text: string): string {
  return `${text
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
