import { createRequire } from 'node:module';
import { messageOf } from '../errors.js';
import { plainLine } from '../text.js';

type HandlebarsApi = typeof import('handlebars');
/**
 * Handlebars is required on the first compile, not when this module loads: loading the config
 * (which checks DIGEST_SUBJECT) would otherwise pay for it in every command, `status` included.
 */
let handlebars: HandlebarsApi | undefined;
const compiler = (): HandlebarsApi => (handlebars ??= createRequire(import.meta.url)('handlebars') as HandlebarsApi);

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
/**
 * Tried in order after the default when it is too long; the first that fits wins. The newest title
 * alone may pass 78 characters (a whole title the inbox shortens beats a generic line) up to
 * LONGEST_TITLE; past that, a count, never a title cut in the middle.
 */
const DEFAULT_FALLBACKS = ['{{lead.title}}{{#if moreCount}}, and {{moreCount}} more{{/if}}', '{{edition.cadenceLabel}} digest #{{edition.number}}: {{lead.title}}'];
const LONGEST_TITLE = 120;
const TITLE_ALONE = '{{lead.title}}';
const COUNT_ONLY = '{{edition.cadenceLabel}} digest #{{edition.number}}: {{#if moreCount}}{{postCount}} new posts{{else}}one new post{{/if}}';
const EMPTY_SUBJECT = '{{edition.cadenceLabel}} digest #{{edition.number}}';

// Strict: a misspelt variable is an error (caught when the configuration is loaded), not an empty subject.
const OPTIONS = { strict: true, noEscape: true, knownHelpersOnly: false } as const;
type SubjectTemplate = (data: SubjectData) => string;

const SAMPLE: SubjectData = {
  publication: { name: 'Digest' },
  edition: { number: 3, cadence: 'weekly', cadenceLabel: 'Weekly', dateLabel: '1 June 2026' },
  lead: { title: 'A title', author: 'An author' },
  postCount: 2,
  moreCount: 1,
  topics: ['Trade'],
};

/**
 * Compiles DIGEST_SUBJECT and tries it on sample data, so a syntax error or a misspelt variable is
 * reported when the configuration is loaded (as a message that follows the variable's name).
 */
export function compileSubject(source: string): SubjectTemplate {
  let template: HandlebarsTemplateDelegate<SubjectData>;
  try {
    template = compiler().compile<SubjectData>(source, OPTIONS);
    template(SAMPLE);
  } catch (error) {
    throw new Error(`is not a valid subject template: ${messageOf(error).replace(/ in \[object Object\].*$/s, '').replace(/\s*\n\s*/g, ' ').slice(0, 160)}`);
  }
  return (data) => plainLine(template(data));
}

/** The built-in forms, compiled on the first subject rendered (see `compiler`). */
let builtIn: { defaults: SubjectTemplate[]; titleAlone: SubjectTemplate; countOnly: SubjectTemplate; emptyDefault: SubjectTemplate } | undefined;
function builtInForms() {
  if (builtIn) return builtIn;
  const [titleAlone, countOnly, emptyDefault] = [TITLE_ALONE, COUNT_ONLY, EMPTY_SUBJECT].map(compileSubject) as [SubjectTemplate, SubjectTemplate, SubjectTemplate];
  builtIn = { defaults: [DEFAULT_SUBJECT, ...DEFAULT_FALLBACKS].map(compileSubject), titleAlone, countOnly, emptyDefault };
  return builtIn;
}

/**
 * The edition's subject: the editor's template as written (preflight warns when it is long), or
 * the first default form that fits.
 */
export function renderSubject(custom: string | undefined, data: SubjectData): string {
  if (custom) return compileSubject(custom)(data);
  const { defaults, titleAlone, countOnly, emptyDefault } = builtInForms();
  if (!data.lead) return emptyDefault(data);
  for (const form of defaults) {
    const subject = form(data);
    if ([...subject].length <= SUBJECT_LENGTH) return subject;
  }
  const title = titleAlone(data);
  return [...title].length <= LONGEST_TITLE ? title : countOnly(data);
}
