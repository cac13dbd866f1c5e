/**
 * The conditions of the ledger's partial indexes, as schema.ts writes them. SQLite uses a partial
 * index only for a query that repeats its condition, so every query meant for one includes it.
 */

/** deliveries_in_flight (worker_id): rows a worker has claimed and not yet finished. */
export const IN_FLIGHT = `state IN ('sending', 'awaiting')`;
