/** Small string helpers shared by posts, rendering, headers and pages. */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'" };

/** Text made safe inside HTML or XML, attribute values included. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Characters XML 1.0 forbids (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE, U+FFFF):
 * one of them makes a whole document unreadable, so text bound for XML loses them.
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text made safe inside an XML document (the Atom feed): forbidden characters dropped, then escaped. */
export function escapeXml(value: string): string {
  return escapeHtml(value.replace(NOT_XML_CHAR, ''));
}

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * A single line of plain text from untrusted input: tags removed, entities decoded, control
 * characters (CR and LF among them, and C1 controls such as NEL) turned into spaces, bidi overrides
 * dropped, runs of white space collapsed.
 */
export function plainLine(input: string): string {
  // `[^<>]`, not `[^>]`: on a run of "<" without ">" the latter is quadratic (32 KB: over a second).
  return decodeEntities(withoutScripts(input).replace(/<[^<>]*>/g, ' '))
    .replace(/<[^<>]*>/g, ' ')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    // Bidi overrides and isolates reorder what follows ("gnp.exe" shown as "exe.png"): dropped.
    .replace(/[\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Drops `<script>…</script>` and `<style>…</style>` with what they hold: code is not text, and an
 * excerpt must not read "alert(1)". An opening tag that is never closed is left to the tag
 * stripper, so a title that merely mentions `<script>` keeps its words. One forward scan: linear.
 */
function withoutScripts(input: string): string {
  const opening = /<(script|style)\b/gi;
  const lower = input.toLowerCase();
  let out = '';
  let at = 0;
  for (let match = opening.exec(input); match; match = opening.exec(input)) {
    const close = lower.indexOf(`</${(match[1] ?? '').toLowerCase()}`, match.index);
    if (close === -1) break;
    const end = input.indexOf('>', close);
    out += `${input.slice(at, match.index)} `;
    at = end === -1 ? input.length : end + 1;
    opening.lastIndex = at;
  }
  return out + input.slice(at);
}

/** Cuts at a word boundary and adds an ellipsis, so excerpts never end mid-word. */
export function truncateWords(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > max * 0.6 ? cut.slice(0, lastSpace) : cut).replace(/[\s,;:.–—-]+$/, '')}…`;
}

export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

/**
 * Text from outside (an SMTP server's reply, a post title, a subscriber's name) can carry terminal
 * escape sequences or bidi overrides; they are shown as \u{…} instead of acting on the terminal.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** Empty values dropped and repeats removed, ignoring case; the first spelling is kept (categories, tags). */
export function uniqueIgnoringCase(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => value && !seen.has(value.toLowerCase()) && seen.add(value.toLowerCase()));
}
