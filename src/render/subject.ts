import Handlebars from 'handlebars';
import { messageOf } from '../errors.js';
import { plainLine } from '../text.js';

/**
 * The subject line, from a Handlebars template the editor sets in DIGEST_SUBJECT. The default never
 * cuts a title: when "Weekly digest #3: <newest title> and 4 more" would not fit the 78 characters
 * an inbox line shows, it tries shorter whole forms instead.
 */
export interface SubjectData {
  publication: { name: string };
  edition: { number: number; cadence: string; cadenceLabel: string; dateLabel: string };
  /** The newest post (the lead story); absent only for an empty edition. */
  lead: { title: string; author: string } | null;
  postCount: number;
  /** Posts besides the lead. */
  moreCount: number;
  /** Topic headings, in the order the email shows them. */
  topics: string[];
}

/** What an inbox line shows before cutting (RFC 5322's recommended line length). */
export const SUBJECT_LENGTH = 78;

export const DEFAULT_SUBJECT = '{{edition.cadenceLabel}} digest #{{edition.number}}: {{lead.title}}{{#if moreCount}} and {{moreCount}} more{{/if}}';
/** Tried in order after the default when it is too long; the first that fits wins, the last always. */
const DEFAULT_FALLBACKS = [
  '{{lead.title}}{{#if moreCount}}, and {{moreCount}} more{{/if}}',
  '{{edition.cadenceLabel}} digest #{{edition.number}}: {{lead.title}}',
  '{{edition.cadenceLabel}} digest #{{edition.number}}: {{postCount}} new posts',
];
const EMPTY_SUBJECT = '{{edition.cadenceLabel}} digest #{{edition.number}}';

const OPTIONS = { strict: false, noEscape: true, knownHelpersOnly: true, knownHelpers: {} } as const;
type SubjectTemplate = (data: SubjectData) => string;

/** Compiles DIGEST_SUBJECT; throws a message naming the variable when it is not valid Handlebars. */
export function compileSubject(source: string): SubjectTemplate {
  try {
    Handlebars.precompile(source, OPTIONS);
  } catch (error) {
    throw new Error(`is not a valid Handlebars template: ${messageOf(error).split('\n')[0]}`);
  }
  const template = Handlebars.compile(source, OPTIONS);
  return (data) => plainLine(template(data));
}

const defaults = [DEFAULT_SUBJECT, ...DEFAULT_FALLBACKS].map(compileSubject);
const emptyDefault = compileSubject(EMPTY_SUBJECT);

/**
 * The edition's subject: the editor's template as written (preflight warns when it is long), or
 * the first default form that fits.
 */
export function renderSubject(custom: string | undefined, data: SubjectData): string {
  if (custom) return compileSubject(custom)(data);
  if (!data.lead) return emptyDefault(data);
  for (const form of defaults) {
    const subject = form(data);
    if ([...subject].length <= SUBJECT_LENGTH) return subject;
  }
  return defaults.at(-1)!(data);
}
