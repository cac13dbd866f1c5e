import { SUBJECT_LENGTH as MAX_SUBJECT_LENGTH } from '../render/view-model.js';
import { decodeEntities } from '../text.js';

/**
 * Checks an editor wants before an edition goes out, on the message exactly as it would be sent:
 * Gmail clipping, images without alt text, links that are not absolute https, an over-long
 * subject, an empty plain-text part and MJML's own validation findings.
 */
export interface PreflightInput {
  subject: string;
  html: string;
  text: string;
  /** MJML validation findings from the render. */
  mjmlWarnings: string[];
  /** PUBLIC_URL: the personal links (unsubscribe, preferences, archive) are built from it. */
  publicUrl: string;
}

export type PreflightCheck = 'posts' | 'size' | 'alt' | 'links' | 'subject' | 'text' | 'mjml' | 'feeds';

export interface PreflightFinding {
  check: PreflightCheck;
  level: 'warning' | 'info';
  message: string;
}

/** Gmail shows "[Message clipped]" once the HTML passes about 102 KB. */
export const GMAIL_CLIP_BYTES = 102 * 1024;
const MAX_LISTED = 8;

export function preflight(input: PreflightInput): PreflightFinding[] {
  return [...sizeCheck(input.html), ...altCheck(input.html), ...linkCheck(input.html, input.publicUrl), ...subjectCheck(input.subject), ...textCheck(input.text), ...input.mjmlWarnings.map((message) => ({ check: 'mjml' as const, level: 'warning' as const, message }))];
}

export function htmlBytes(html: string): number {
  return Buffer.byteLength(html, 'utf8');
}

function sizeCheck(html: string): PreflightFinding[] {
  const bytes = htmlBytes(html);
  const size = `${(bytes / 1024).toFixed(1)} KB of HTML`;
  if (bytes > GMAIL_CLIP_BYTES) return [{ check: 'size', level: 'warning', message: `${size}: over Gmail's ~102 KB limit, so Gmail clips the message ("[Message clipped]") and hides the footer with the unsubscribe link; send fewer posts (DIGEST_MAX_POSTS) or shorten the template` }];
  const level = bytes > GMAIL_CLIP_BYTES * 0.9 ? 'warning' : 'info';
  return [{ check: 'size', level, message: `${size} (${Math.round((bytes / GMAIL_CLIP_BYTES) * 100)}% of Gmail's ~102 KB clipping limit)` }];
}

/** Every <img> without a non-empty alt attribute. */
function altCheck(html: string): PreflightFinding[] {
  const missing: string[] = [];
  for (const [tag] of html.matchAll(/<img\b[^>]*>/gi)) {
    const alt = attribute(tag, 'alt');
    if (alt === undefined || alt.trim() === '') missing.push(attribute(tag, 'src') ?? '(no src)');
  }
  return listed(missing, 'alt', (n) => `${n} image${n === 1 ? ' has' : 's have'} no alt text (screen readers and clients that block images show nothing)`);
}

function linkCheck(html: string, publicUrl: string): PreflightFinding[] {
  const personal = new Set<string>();
  const bad: string[] = [];
  for (const [tag] of html.matchAll(/<a\b[^>]*>/gi)) {
    const href = decodeEntities(attribute(tag, 'href') ?? '').trim();
    if (href === '' || href.startsWith('#') || /^mailto:/i.test(href) || /^https:\/\/[^/\s]/i.test(href)) continue;
    if (href.startsWith(publicUrl)) personal.add(href);
    else if (!bad.includes(href)) bad.push(href);
  }
  const findings = listed(bad, 'links', (n) => `${n} link${n === 1 ? ' is' : 's are'} not absolute https:// (mail clients cannot follow relative links, and http:// shows warnings)`);
  if (personal.size > 0) {
    findings.push({ check: 'links', level: 'warning', message: `PUBLIC_URL is ${publicUrl}: the unsubscribe, preferences and archive links built from it (${personal.size}) are not https; set PUBLIC_URL to the public https address of \`digest serve\`` });
  }
  return findings;
}

function subjectCheck(subject: string): PreflightFinding[] {
  const length = [...subject].length;
  if (length === 0) return [{ check: 'subject', level: 'warning', message: 'the subject is empty' }];
  if (length <= MAX_SUBJECT_LENGTH) return [];
  return [{ check: 'subject', level: 'warning', message: `the subject is ${length} characters; inboxes cut it after about ${MAX_SUBJECT_LENGTH} (phones after about 40)` }];
}

function textCheck(text: string): PreflightFinding[] {
  if (text.trim() !== '') return [];
  return [{ check: 'text', level: 'warning', message: 'the plain-text part is empty: text-only readers and some spam filters see nothing; check templates/digest.txt.hbs' }];
}

function listed(items: string[], check: PreflightCheck, head: (count: number) => string): PreflightFinding[] {
  if (items.length === 0) return [];
  const shown = items.slice(0, MAX_LISTED).join(', ');
  const more = items.length > MAX_LISTED ? ` and ${items.length - MAX_LISTED} more` : '';
  return [{ check, level: 'warning', message: `${head(items.length)}: ${shown}${more}` }];
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  if (!match) return undefined;
  return match[1] ?? match[2] ?? match[3] ?? '';
}
