import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { messageOf, TemplateError } from '../errors.js';
import { precompiled } from '../render/precompiled.js';

/**
 * The web pages and the sign-up emails are Handlebars templates in `templates/web/`, edited like the
 * digest's: every page is rendered into `layout.hbs` (which places it with `{{{body}}}`), emails
 * live in `templates/web/email/`, and the stylesheet is `templates/web/site.css`. Loaded once.
 */
export interface Pages {
  /** A full page: `name.hbs` rendered into the layout. */
  page(name: string, view: Record<string, unknown>): string;
  /** A template without the layout (emails: `email/confirm.txt`, …). */
  raw(name: string, view: Record<string, unknown>): string;
  css: string;
}

const HELPERS: Record<string, Handlebars.HelperDelegate> = {
  eq: (a: unknown, b: unknown) => a === b,
  upper: (value: unknown) => String(value ?? '').toUpperCase(),
};

export async function loadPages(webDir: string): Promise<Pages> {
  const handlebars = Handlebars.create();
  for (const [name, helper] of Object.entries(HELPERS)) handlebars.registerHelper(name, helper);
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  for (const file of await listTemplates(webDir)) {
    const source = await readFile(join(webDir, file), 'utf8');
    const name = file.replace(/\.hbs$/, '');
    try {
      compiled.set(name, precompiled(handlebars, source, { strict: false, noEscape: name.endsWith('.txt') }));
    } catch (cause) {
      throw new TemplateError('TEMPLATE_INVALID', `templates/web/${file}: ${messageOf(cause).split('\n')[0]}`, { cause });
    }
  }
  const css = await readFile(join(webDir, 'site.css'), 'utf8').catch(() => '');
  const get = (name: string) => {
    const template = compiled.get(name);
    if (!template) throw new TemplateError('TEMPLATE_MISSING', `templates/web/${name}.hbs is missing: restore it from the repository`);
    return template;
  };
  return {
    page: (name, view) => get('layout')({ ...view, body: get(name)(view) }),
    raw: (name, view) => get(name)(view),
    css,
  };
}

async function listTemplates(webDir: string): Promise<string[]> {
  try {
    const top = (await readdir(webDir)).filter((f) => f.endsWith('.hbs'));
    const email = (await readdir(join(webDir, 'email')).catch(() => [] as string[])).filter((f) => f.endsWith('.hbs')).map((f) => `email/${f}`);
    return [...top, ...email];
  } catch (cause) {
    throw new TemplateError('TEMPLATE_MISSING', `${webDir} is missing: the web pages need templates/web/ (restore it from the repository)`, { cause });
  }
}
