-- A complete edition's deliveries no longer change: their counts by state are kept with it when it
-- completes, so reports read them instead of counting an edition of millions each time.
ALTER TABLE editions ADD COLUMN final_counts jsonb;
UPDATE editions e SET final_counts = (
  SELECT coalesce(jsonb_object_agg(state, n), '{}'::jsonb) FROM (SELECT state, count(*)::int AS n FROM deliveries WHERE edition = e.number GROUP BY state) c
) WHERE status = 'complete';
