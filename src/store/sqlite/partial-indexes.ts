import type { DeliveryState } from '../store.js';

/**
 * The conditions of the ledger's partial indexes, as schema.ts writes them. SQLite uses a partial
 * index only for a query that repeats its condition, so every query meant for one includes it.
 */

/** deliveries_in_flight (worker_id): rows a worker has claimed and not yet finished. */
export const IN_FLIGHT = `state IN ('sending', 'awaiting')`;

/**
 * The states each delivered message passes through, left out of deliveries_by_state (edition,
 * state) since migration 13: a message's way from claimed to sent writes no entry there. They are
 * counted as the edition's rows less the others (deliveries.ts).
 */
const ON_THE_WAY: readonly DeliveryState[] = ['sending', 'awaiting', 'sent'];

/** deliveries_by_state: every other state. */
export const BY_STATE = `state NOT IN (${ON_THE_WAY.map((state) => `'${state}'`).join(', ')})`;

/** Whether deliveries_by_state holds every row in these states (none of them is on the way). */
export const inByState = (states: readonly DeliveryState[]) => !states.some((state) => ON_THE_WAY.includes(state));
