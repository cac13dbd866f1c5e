import { messageOf, TemplateError } from '../errors.js';

/**
 * Stage 5's MJML → HTML step. `mjmlToHtml` is the one place it is done, whether in this thread
 * (`inThreadMjml`) or in the worker `digest send` starts at once (mjml-thread.ts), so both give the
 * same bytes. mjml (with juice, cheerio and undici, some 6 MB of JavaScript) is imported only when
 * a compiler is first used: `status` or `subscribers` never pay for it.
 */
export interface MjmlOutput {
  html: string;
  /** MJML validation findings, "MJML line N: message", lines of the MJML that Handlebars produced. */
  warnings: string[];
}

export interface MjmlCompiler {
  compile(source: string): Promise<MjmlOutput>;
  close(): Promise<void>;
  /** True while compiling happens in a worker thread (for tests and logs). */
  readonly inWorker: boolean;
}

type Mjml2Html = (typeof import('mjml'))['default'];

export const importMjml = (): Promise<Mjml2Html> => import('mjml').then((module) => module.default);

/** Throws the library's own error: the caller says which template it came from (`mjmlError`). */
export async function mjmlToHtml(mjml2html: Mjml2Html, source: string): Promise<MjmlOutput> {
  // ignoreIncludes: an mj-include would read files from disk; templates never need it.
  // fonts: {}: MJML would otherwise add Google Fonts links for any web font the styles name,
  // a request to a third party each time the email is opened.
  const result = await mjml2html(source, { validationLevel: 'soft', ignoreIncludes: true, keepComments: false, fonts: {} });
  const warnings = result.errors.map((e) => `MJML line ${e.line}: ${e.message}`);
  if (!result.html.includes('<body')) throw new Error(warnings.join('; ') || 'no HTML produced');
  return { html: withoutIndentation(result.html), warnings };
}

export function mjmlError(cause: unknown): TemplateError {
  return new TemplateError('MJML_INVALID', `templates: the MJML produced by the templates could not be compiled: ${messageOf(cause)}`, { cause });
}

/** MJML compiled in this thread, mjml imported on the first compile. */
export function inThreadMjml(): MjmlCompiler {
  let compiler: Promise<Mjml2Html> | undefined;
  return {
    async compile(source) {
      try {
        return await mjmlToHtml(await (compiler ??= importMjml()), source);
      } catch (cause) {
        throw mjmlError(cause);
      }
    },
    close: async () => undefined,
    inWorker: false,
  };
}

/**
 * MJML indents its output generously (a fifth of the bytes). A line break followed by indentation
 * is one space to HTML anyway, so this drops the indentation and keeps the break: the rendering is
 * the same, and the HTML stays far from Gmail's clipping size. (The templates use no <pre>.)
 */
function withoutIndentation(html: string): string {
  return html.replace(/\n[ \t]+/g, '\n').replace(/\n{2,}/g, '\n');
}
