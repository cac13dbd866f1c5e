-- The whole ledger as the SQLite store has it after its fifth migration. Times the program
-- supplies are epoch milliseconds (BIGINT); worker heartbeats use the database's own clock.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE subscribers (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- never reused: old links name a subscriber by id
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  categories TEXT NOT NULL DEFAULT '[]',
  excluded_categories TEXT NOT NULL DEFAULT '[]',
  pending_choices TEXT,
  cadence TEXT NOT NULL DEFAULT 'weekly' CHECK (cadence IN ('daily', 'weekly', 'monthly')),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
  created_at BIGINT NOT NULL,
  confirmed_at BIGINT,
  status_changed_at BIGINT NOT NULL
);
CREATE INDEX subscribers_by_cadence ON subscribers (cadence, status, id);

CREATE TABLE editions (
  number INTEGER PRIMARY KEY,
  cadence TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  tick_key TEXT,
  status TEXT NOT NULL CHECK (status IN ('sending', 'complete')),
  completed_at BIGINT,
  subject TEXT NOT NULL,
  slugs TEXT NOT NULL,
  posts TEXT NOT NULL,
  html TEXT NOT NULL,
  text TEXT NOT NULL,
  UNIQUE (cadence, tick_key)
);
CREATE UNIQUE INDEX editions_one_open ON editions (cadence) WHERE status = 'sending';

CREATE TABLE post_ledger (
  cadence TEXT NOT NULL,
  slug TEXT NOT NULL,
  edition INTEGER NOT NULL,
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (cadence, slug)
);

CREATE TABLE segments (
  edition INTEGER NOT NULL REFERENCES editions (number),
  key TEXT NOT NULL,
  slugs TEXT NOT NULL,
  subject TEXT NOT NULL,
  html TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (edition, key)
);

CREATE TABLE deliveries (
  edition INTEGER NOT NULL REFERENCES editions (number),
  subscriber_id BIGINT NOT NULL,
  email TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'awaiting', 'sent', 'deferred', 'failed', 'uncertain', 'skipped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  message_id TEXT,
  last_error TEXT,
  retry_at BIGINT,
  updated_at BIGINT NOT NULL,
  worker_id TEXT,
  PRIMARY KEY (edition, subscriber_id)
);
CREATE INDEX deliveries_by_state ON deliveries (edition, state);
CREATE INDEX deliveries_open ON deliveries (edition, subscriber_id) WHERE state IN ('pending', 'deferred');
CREATE INDEX deliveries_in_flight ON deliveries (worker_id) WHERE state IN ('sending', 'awaiting');

CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  process_start TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE ticks (
  cadence TEXT NOT NULL,
  tick_key TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  outcome TEXT NOT NULL,
  edition INTEGER,
  detail TEXT,
  PRIMARY KEY (cadence, tick_key)
);
