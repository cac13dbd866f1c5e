import { createApp, type App } from '../app.js';
import { enabledCadences, type Config } from '../config.js';
import { previewMessage, type PreviewInput, type PreviewResult } from '../edition/preview-message.js';
import { isDigestError, messageOf } from '../errors.js';
import { feedWarnings } from '../feeds/gather.js';
import { silentLogger } from '../logger.js';
import { checkAddress } from '../mail/address.js';
import { formatProblem } from '../posts/post.js';
import { CADENCES, type Cadence } from '../render/view-model.js';
import { describeReason, type LeftOutReason } from '../select.js';
import { importSamplesIfEmbedded } from '../subscribers/sample.js';
import { formatShortDate } from '../time.js';
import { preflight, type PreflightFinding } from './preflight.js';

/**
 * Everything one preview page shows, built on a fresh dry-run App (an in-memory copy of the
 * database, nothing recorded) so it always reflects the current database, posts and templates.
 */
export interface PreviewQuery {
  cadence: Cadence;
  /** Preview as this subscriber (their name and topics); empty means an all-topics sample reader. */
  subscriber: string;
  /** Preview as a topic segment instead; empty means the subscriber's own topics (or all). */
  topics: string[];
}

export interface PageError {
  kind: string;
  message: string;
  problems: string[];
}

export interface LeftOutItem {
  title: string;
  file: string;
  kind: LeftOutReason['kind'] | 'invalid' | 'topics';
  reason: string;
}

export interface PreviewModel {
  query: PreviewQuery;
  error: PageError | undefined;
  result: PreviewResult | undefined;
  findings: PreflightFinding[];
  leftOut: LeftOutItem[];
  subscribers: { email: string; name: string; categories: string[] }[];
  topics: string[];
  /** Cadences the picker offers: those enabled in the configuration (and the one asked for). */
  cadences: Cadence[];
  from: string;
}

const MAX_PICKER_SUBSCRIBERS = 200;

export function parseQuery(params: URLSearchParams): PreviewQuery {
  const cadence = params.get('cadence') ?? 'weekly';
  return {
    cadence: (CADENCES as readonly string[]).includes(cadence) ? (cadence as Cadence) : 'weekly',
    subscriber: (params.get('subscriber') ?? '').trim().slice(0, 320),
    topics: params.getAll('topic').map((t) => t.trim().slice(0, 60)).filter(Boolean).slice(0, 20),
  };
}

/** What the query asks `previewMessage` for; an unusable subscriber address previews the sample reader. */
export function previewInput(query: PreviewQuery): PreviewInput {
  const subscriber = query.subscriber ? checkAddress(query.subscriber) : undefined;
  return { cadence: query.cadence, email: subscriber?.ok ? subscriber.address : undefined, ...(query.topics.length ? { categories: query.topics } : {}) };
}

export function toPageError(error: unknown): PageError {
  if (isDigestError(error)) return { kind: error.kind, message: error.message, problems: error.problems };
  return { kind: 'Error', message: messageOf(error), problems: [] };
}

/**
 * A dry-run App for one request; the caller closes it. With the embedded default and no
 * subscribers, the sample list is loaded as `digest send` would, into the in-memory copy only.
 */
export async function previewApp(config: Config): Promise<App> {
  const app = await createApp(config, { dryRun: true, logger: silentLogger });
  try {
    await importSamplesIfEmbedded(app);
    return app;
  } catch (error) {
    await app.close();
    throw error;
  }
}

export async function buildModel(loadConfig: () => Config, query: PreviewQuery): Promise<PreviewModel> {
  const model: PreviewModel = { query, error: undefined, result: undefined, findings: [], leftOut: [], subscribers: [], topics: [], cadences: [query.cadence], from: '' };
  let app: App | undefined;
  try {
    const config = loadConfig();
    model.cadences = CADENCES.filter((c) => c === query.cadence || enabledCadences(config).includes(c));
    app = await previewApp(config);
    model.from = `${app.sender.from.name} <${app.sender.from.address}>`;
    model.subscribers = await pickerSubscribers(app);
    const result = await previewMessage(app, previewInput(query));
    model.result = result;
    model.topics = allTopics(result);
    model.leftOut = leftOutItems(result, config.timezone);
    const message = result.message;
    // Broken posts first: they are what the editor must fix; then feeds, then the message's own checks.
    const broken = invalidPosts(result).map((problem) => ({ check: 'posts' as const, level: 'warning' as const, message: `left out because it is broken: ${formatProblem(problem)}` }));
    const feeds = feedWarnings(result.feeds).map((text) => ({ check: 'feeds' as const, level: 'warning' as const, message: `${text}.` }));
    model.findings = [...broken, ...feeds, ...(message ? preflight({ subject: message.subject, html: message.html, text: message.text, mjmlWarnings: message.warnings, publicUrl: config.publicUrl }) : [])];
  } catch (error) {
    model.error = toPageError(error);
  } finally {
    await app?.close();
  }
  return model;
}

async function pickerSubscribers(app: App): Promise<PreviewModel['subscribers']> {
  const list: PreviewModel['subscribers'] = [];
  for await (const s of app.store.listSubscribers({ status: 'active' })) {
    list.push({ email: s.email, name: s.name, categories: s.categories });
    if (list.length >= MAX_PICKER_SUBSCRIBERS) break;
  }
  return list;
}

function allTopics(result: PreviewResult): string[] {
  const posts = [...result.selection.included, ...result.selection.leftOut.map((l) => l.post)];
  const seen = new Map<string, string>();
  for (const post of posts) for (const c of post.categories) if (!seen.has(c.toLowerCase())) seen.set(c.toLowerCase(), c);
  return [...seen.values()].sort((a, b) => a.localeCompare(b));
}

/** Broken posts first: they need the editor; then the rest, each with its reason. */
export function leftOutItems(result: PreviewResult, timezone: string): LeftOutItem[] {
  const items: LeftOutItem[] = invalidPosts(result).map((problem) => ({ title: problem.file, file: problem.file, kind: 'invalid', reason: `invalid front matter: ${formatProblem(problem)}` }));
  for (const post of result.outsideTopics) items.push({ title: post.title, file: post.file, kind: 'topics', reason: `outside this segment's topics (${post.categories.join(', ') || 'no category'})` });
  for (const { post, reason } of result.selection.leftOut) {
    const text = reason.kind === 'future' ? `future date: goes out in the first edition after ${formatWhen(reason.goesAt, timezone)}` : describeReason(reason);
    items.push({ title: post.title, file: post.file, kind: reason.kind, reason: text });
  }
  return items;
}

function invalidPosts(result: PreviewResult) {
  return result.problems.filter((p) => p.severity === 'error');
}

function formatWhen(date: Date, timezone: string): string {
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
  return `${formatShortDate(date, timezone)}, ${time} (${timezone})`;
}
