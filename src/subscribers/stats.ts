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

/** Counted by the database (a million subscribers in about a second), not by reading every row here. */
export async function subscriberStats(store: SubscriberStore): Promise<SubscriberStats> {
  const [byStatus, choices] = await Promise.all([store.countSubscribers(), store.countActiveChoices()]);
  const byCadence = Object.fromEntries(CADENCES.map((c) => [c, 0])) as Record<Cadence, number>;
  for (const [cadence, n] of choices.byCadence) if (cadence in byCadence) byCadence[cadence as Cadence] = n;
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const byTopic = [...choices.byTopic].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { total, byStatus, byCadence, byTopic, allTopics: choices.allTopics };
}
