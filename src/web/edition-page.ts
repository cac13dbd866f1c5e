import { fillTokens, publicCopyValues } from '../render/personal.js';
import type { Edition } from '../store/store.js';
import { truncateWords } from '../text.js';

/**
 * The email as a public web page's content: neutral values instead of personal ones, without the
 * reader's own footer ("you are receiving … at your address", between the personal-footer markers
 * the template sets), split into the styles for the page's head and the body to wrap.
 */
export interface PublicEdition {
  styles: string;
  body: string;
  description: string;
}

const PERSONAL_FOOTER = /<!--personal-footer-->[\s\S]*?<!--\/personal-footer-->/g;

export function publicEdition(edition: Edition, publicUrl: string): PublicEdition {
  const html = fillTokens(edition.html, publicCopyValues(publicUrl), true).replace(PERSONAL_FOOTER, '');
  const head = /<head[^>]*>([\s\S]*?)<\/head>/i.exec(html)?.[1] ?? '';
  // Styles only, and not those inside Outlook's conditional comments (they target Word, not browsers).
  const styles = [...head.replace(/<!--\[if[\s\S]*?<!\[endif\]-->/g, '').matchAll(/<style[^>]*>[\s\S]*?<\/style>/gi)].map((m) => m[0]).join('\n');
  const body = (/<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html)
    // The page has its own main landmark around the email; two would confuse screen readers.
    .replace(/\srole="main"/g, '');
  const titles = edition.posts.map((p) => p.title).join(' · ');
  return { styles, body, description: truncateWords(titles, 200) };
}
