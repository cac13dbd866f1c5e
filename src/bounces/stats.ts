import type { Store } from '../store/store.js';

/**
 * Bounces and complaints per edition, with rates over the messages sent: what `digest status` and
 * the preview's past editions show. Gmail and Yahoo expect complaint rates under 0.3 %.
 */
export interface EditionBounceStats {
  edition: number;
  sent: number;
  hard: number;
  soft: number;
  complaints: number;
  /** (hard + soft) / sent; null before anything was sent. */
  bounceRate: number | null;
  complaintRate: number | null;
}

/** `knownSent`: editions whose sent count the caller already has (counting a million takes a while). */
export async function editionBounceStats(store: Store, editions: number[], knownSent: ReadonlyMap<number, number> = new Map()): Promise<EditionBounceStats[]> {
  const counts = await store.bounceCounts(editions);
  return Promise.all(
    editions.map(async (edition) => {
      const { hard, soft, complaints } = counts.get(edition) ?? { hard: 0, soft: 0, complaints: 0 };
      const sent = knownSent.get(edition) ?? (await store.countDeliveries(edition, ['sent'])).sent;
      return { edition, sent, hard, soft, complaints, bounceRate: sent ? (hard + soft) / sent : null, complaintRate: sent ? complaints / sent : null };
    }),
  );
}

/** `0.25 %`, or `–` when nothing was sent. */
export function percent(rate: number | null): string {
  return rate === null ? '–' : `${(rate * 100).toFixed(rate < 0.01 && rate > 0 ? 2 : 1)} %`;
}

/** One line: `hard 1 · soft 2 · complaints 0 (bounce rate 1.5 %, complaint rate 0.0 % of 200 sent)`. */
export function describeStats(s: EditionBounceStats): string {
  return `hard ${s.hard} · soft ${s.soft} · complaints ${s.complaints} (bounce rate ${percent(s.bounceRate)}, complaint rate ${percent(s.complaintRate)} of ${s.sent} sent)`;
}
