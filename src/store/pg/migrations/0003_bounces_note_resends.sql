-- What the SQLite store gained in its migrations 6 to 8: bounce and complaint events (event_key
-- makes a replay a no-op) with lookups from a report back to its delivery, the editor's note an
-- edition carries, and the one resend of an uncertain delivery.
CREATE TABLE bounce_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
  source TEXT NOT NULL,
  edition INTEGER,
  subscriber_id BIGINT NOT NULL,
  email TEXT NOT NULL,
  status TEXT,
  reason TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  status_changed BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX bounce_events_by_subscriber ON bounce_events (subscriber_id, kind, received_at);
CREATE INDEX bounce_events_by_edition ON bounce_events (edition, kind);
CREATE INDEX deliveries_by_message_id ON deliveries (message_id);
CREATE INDEX deliveries_by_email ON deliveries (email, edition);

ALTER TABLE editions ADD COLUMN note TEXT;

ALTER TABLE deliveries ADD COLUMN resends INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN first_uncertain TEXT;
