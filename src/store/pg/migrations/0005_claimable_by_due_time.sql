-- Claims read the open rows in the order they become claimable: pending rows first (no retry
-- time), then deferred ones by retry time. A claim then stops at the first row not yet due instead
-- of stepping over every deferred row that waits, which made each claim slower as deferrals grew.
DROP INDEX IF EXISTS deliveries_open;
CREATE INDEX deliveries_claimable ON deliveries (edition, (coalesce(retry_at, 0)), subscriber_id) WHERE state IN ('pending', 'deferred');
