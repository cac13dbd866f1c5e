import { escapeHtml } from '../text.js';
import { personalLinks, type TokenSigner } from '../tokens.js';

/**
 * Per-subscriber values are rendered as opaque tokens and substituted into the finished message,
 * so the expensive render (Handlebars + MJML + MIME) happens once per segment, not per subscriber.
 * Tokens are plain lower-case letters so that no escaping, MJML pass or encoding can alter them.
 */
export const PERSONAL_FIELDS = ['greeting', 'email', 'unsubscribeUrl', 'preferencesUrl'] as const;
export type PersonalField = (typeof PERSONAL_FIELDS)[number];
export type PersonalValues = Record<PersonalField, string>;

export function tokenFor(field: PersonalField): string {
  return `zzpersonal${field.toLowerCase()}zz`;
}

export const TOKEN_PATTERN = new RegExp(PERSONAL_FIELDS.map(tokenFor).join('|'), 'g');

const FIELD_BY_TOKEN = new Map(PERSONAL_FIELDS.map((field) => [tokenFor(field), field]));

export function fieldOfToken(token: string): PersonalField {
  const field = FIELD_BY_TOKEN.get(token);
  if (!field) throw new Error(`unknown personal token ${token}`);
  return field;
}

/** Placeholders to put in a view model where personal values belong. */
export function personalTokens(): PersonalValues {
  return Object.fromEntries(PERSONAL_FIELDS.map((field) => [field, tokenFor(field)])) as PersonalValues;
}

/** Titles that come before a first name and would read oddly alone ("Hi Dr,"). */
const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'mx', 'dr', 'prof', 'sir', 'dame', 'rev', 'herr', 'frau', 'mme', 'm']);

/**
 * The friendly first line, by first name: "Hi Ada," for "Ada Lovelace", "Hi Jane," for "Dr. Jane
 * Doe"; a name written without spaces (王美, an alias) is used whole. Without a name: "Hello,".
 */
export function greetingFor(name: string | null | undefined): string {
  // One line: a name never brings a line break (or any control character) into the body.
  const words = (name ?? '').replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  const first = words.find((word, index) => index === words.length - 1 || !HONORIFICS.has(word.replace(/\.$/, '').toLowerCase())) ?? '';
  // A "name" that is really an address or a sentence fragment is not a first name.
  return first && !first.includes('@') ? `Hi ${first.replace(/,+$/, '')},` : 'Hello,';
}

/** One reader's personal values: greeting, address and the signed links built from PUBLIC_URL. */
export function personalValuesFor(signer: TokenSigner, publicUrl: string, reader: { id: number; name: string; email: string }): PersonalValues {
  return { greeting: greetingFor(reader.name), email: reader.email, ...personalLinks(signer, publicUrl, reader.id) };
}

/** Fills the tokens in rendered HTML or text directly (previews; sending works on encoded bytes). */
export function fillTokens(content: string, values: PersonalValues, html: boolean): string {
  return content.replace(TOKEN_PATTERN, (token) => {
    const value = values[fieldOfToken(token)];
    return html ? escapeHtml(value) : value;
  });
}

/**
 * What stands in for personal values in a copy anyone may see (the public archive, the editor's
 * past editions): a plain greeting and the generic unsubscribe and preferences pages, never any
 * subscriber's address or signed link.
 */
export function publicCopyValues(publicUrl: string): PersonalValues {
  return {
    greeting: 'Hello,',
    email: 'your address',
    unsubscribeUrl: new URL('unsubscribe', publicUrl).href,
    preferencesUrl: new URL('preferences', publicUrl).href,
  };
}
