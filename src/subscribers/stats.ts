import { CADENCES, type Cadence } from '../render/view-model.js';
import type { SubscriberStatus, SubscriberStore } from '../store/store.js';

/** `digest subscribers stats`: counts by status, and active subscribers by cadence and topic. */
export interface SubscriberStats {
  total: number;
  byStatus: Record<SubscriberStatus, number>;
  byCadence: Record<Cadence, number>;
  /** Topic → active subscribers who chose it, most chosen first. */
  byTopic: [string, number][];
  /** Active subscribers with no topic chosen (they get every topic). */
  allTopics: number;
}

export async function subscriberStats(store: SubscriberStore): Promise<SubscriberStats> {
  const byStatus = await store.countSubscribers();
  const byCadence = Object.fromEntries(CADENCES.map((c) => [c, 0])) as Record<Cadence, number>;
  const topics = new Map<string, number>();
  let allTopics = 0;
  for await (const s of store.listSubscribers({ status: 'active' })) {
    byCadence[s.cadence] += 1;
    if (s.categories.length === 0) allTopics += 1;
    for (const topic of s.categories) topics.set(topic, (topics.get(topic) ?? 0) + 1);
  }
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const byTopic = [...topics].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { total, byStatus, byCadence, byTopic, allTopics };
}
