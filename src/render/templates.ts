import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';
import { messageOf, TemplateError } from '../errors.js';
import { inThreadMjml, type MjmlCompiler } from './mjml.js';
import { precompiled } from './precompiled.js';

/**
 * Loads and compiles the editor's templates once: the MJML layout, the plain-text layout and every
 * partial in `partials/`. Compilation is strict: a missing variable or an unknown helper is an
 * error naming the file and line, never a half-rendered email.
 */
export interface CompiledTemplates {
  html: (view: object) => string;
  text: (view: object) => string;
  files: string[];
  /** Turns what `html` produced into HTML (render-digest.ts). */
  mjml: MjmlCompiler;
}

export const LAYOUT_FILES = { html: 'digest.mjml.hbs', text: 'digest.txt.hbs' } as const;
const PARTIALS_DIR = 'partials';

const HELPERS: Record<string, Handlebars.HelperDelegate> = {
  join: (list: unknown, separator: unknown) => (Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : ''),
  upper: (value: unknown) => String(value ?? '').toUpperCase(),
  lower: (value: unknown) => String(value ?? '').toLowerCase(),
};
const KNOWN_HELPERS = Object.fromEntries(Object.keys(HELPERS).map((name) => [name, true]));

export async function loadTemplates(templatesDir: string, mjml: MjmlCompiler = inThreadMjml()): Promise<CompiledTemplates> {
  const handlebars = Handlebars.create();
  for (const [name, helper] of Object.entries(HELPERS)) handlebars.registerHelper(name, helper);
  const partialFiles = await listPartials(templatesDir);
  for (const file of partialFiles) {
    const name = file.replace(/\.(mjml|txt)?\.?hbs$/, '');
    const path = join(PARTIALS_DIR, file);
    handlebars.registerPartial(name, compileFile(handlebars, shown(templatesDir, path), await readTemplate(templatesDir, path), false));
  }
  const html = compileFile(handlebars, shown(templatesDir, LAYOUT_FILES.html), await readTemplate(templatesDir, LAYOUT_FILES.html), false);
  const text = compileFile(handlebars, shown(templatesDir, LAYOUT_FILES.text), await readTemplate(templatesDir, LAYOUT_FILES.text), true);
  return { html, text, files: [LAYOUT_FILES.html, LAYOUT_FILES.text, ...partialFiles.map((f) => join(PARTIALS_DIR, f))], mjml };
}

/** How a template file is named in errors: its folder's name and path inside it (templates/…). */
function shown(templatesDir: string, file: string): string {
  return join(basename(templatesDir), file);
}

async function listPartials(templatesDir: string): Promise<string[]> {
  try {
    return (await readdir(join(templatesDir, PARTIALS_DIR))).filter((f) => f.endsWith('.hbs')).sort();
  } catch {
    return [];
  }
}

async function readTemplate(templatesDir: string, file: string): Promise<string> {
  try {
    return await readFile(join(templatesDir, file), 'utf8');
  } catch (cause) {
    throw new TemplateError('TEMPLATE_MISSING', `${join(templatesDir, file)} is missing: restore it or point TEMPLATES_DIR at a folder that has it`, { cause });
  }
}

type Render = (view: object) => string;

/** Compiles eagerly (syntax errors surface now) and tags runtime errors with this file's name. */
function compileFile(handlebars: typeof Handlebars, file: string, source: string, plainText: boolean): Render {
  const options = { strict: true, knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true, noEscape: plainText };
  let template: Handlebars.TemplateDelegate;
  try {
    template = precompiled(handlebars, source, options);
  } catch (error) {
    throw templateError(file, error);
  }
  return (view, ...rest: unknown[]) => {
    try {
      return (template as (v: object, ...r: unknown[]) => string)(view, ...rest);
    } catch (error) {
      throw error instanceof TemplateError ? error : templateError(file, error);
    }
  };
}

function templateError(file: string, error: unknown): TemplateError {
  const raw = messageOf(error);
  const line = (error as { lineNumber?: number }).lineNumber ?? Number(/on line (\d+)/.exec(raw)?.[1] ?? 0);
  const firstLine = raw.split('\n')[0] ?? raw;
  const detail = /not defined in/.test(raw)
    ? `${firstLine.replace(/ in (?:\[object Object\]|undefined|null)(?: .*)?$/, '')}: the variable does not exist; check its spelling against the list in docs/templates.md`
    : raw.replace(/\s*-\s*\d+:\d+$/, '').replace(/\n/g, ' ');
  return new TemplateError('TEMPLATE_INVALID', `${file}:${line || 1}: ${detail}`, { cause: error });
}
