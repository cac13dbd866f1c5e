import { escapeHtml } from '../text.js';

/**
 * A tiny HTML builder for the preview's own pages: every interpolated value is escaped unless it
 * is already SafeHtml (built by `html` itself or wrapped with `raw`), so post data and error
 * messages can never become markup in the editor's browser.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Value = SafeHtml | string | number | boolean | null | undefined | Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (value instanceof SafeHtml) return value.value;
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Trusted markup (the preview's own script and styles). Never pass user data. */
export function raw(value: string): SafeHtml {
  return new SafeHtml(value);
}
