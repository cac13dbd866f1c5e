import { enabledCadences, type Config } from '../config.js';
import { UsageError } from '../errors.js';
import { collectPosts } from '../posts/collect.js';
import type { Cadence } from '../render/view-model.js';

/**
 * Checks on the choices an operator records for subscribers (`subscribers add`, CSV import):
 * a cadence must have a schedule, and topics should be ones the posts use. (A CSV row that changes
 * nothing is counted as unchanged by the store's import, src/store/subscriber-import.ts.)
 */
const SCHEDULE_VARIABLE: Partial<Record<Cadence, { variable: string; example: string }>> = {
  daily: { variable: 'DIGEST_DAILY_SCHEDULE', example: '"0 7 * * *"' },
  monthly: { variable: 'DIGEST_MONTHLY_SCHEDULE', example: '"0 8 1 * *"' },
};

/** Why this cadence cannot be chosen here (no schedule configured), or undefined when it can. */
export function unscheduledCadence(config: Pick<Config, 'dailySchedule' | 'monthlySchedule'>, cadence: Cadence | undefined): string | undefined {
  const needed = cadence ? SCHEDULE_VARIABLE[cadence] : undefined;
  if (!cadence || !needed || enabledCadences(config).includes(cadence)) return undefined;
  return `cadence "${cadence}" has no schedule, so nobody on it would get mail: set ${needed.variable} (e.g. ${needed.variable}=${needed.example}) or choose weekly`;
}

export function requireScheduledCadence(config: Pick<Config, 'dailySchedule' | 'monthlySchedule'>, cadence: Cadence | undefined): void {
  const reason = unscheduledCadence(config, cadence);
  if (reason) throw new UsageError('CADENCE_UNSCHEDULED', `--cadence ${reason}`);
}

/** A warning line for topics no post in POSTS_DIR uses (accepted: a future post may use them). */
export async function unknownTopicsWarning(config: Pick<Config, 'postsDir' | 'timezone' | 'siteUrl'>, topics: Iterable<string>): Promise<string | undefined> {
  const wanted = [...new Set(topics)];
  if (wanted.length === 0) return undefined;
  const { posts } = await collectPosts(config.postsDir, { timezone: config.timezone, siteUrl: config.siteUrl });
  const known = new Map<string, string>();
  for (const post of posts) for (const category of post.categories) known.set(category.toLowerCase(), category);
  const unknown = wanted.filter((topic) => !known.has(topic.toLowerCase()));
  if (unknown.length === 0) return undefined;
  const list = [...known.values()].sort((a, b) => a.localeCompare(b));
  return `Warning: no post uses the topic${unknown.length === 1 ? '' : 's'} ${unknown.map((t) => `"${t}"`).join(', ')}, so nothing matches it yet (known topics: ${list.join(', ') || 'none'}).`;
}
