/**
 * Migrations, applied in order on open; `PRAGMA user_version` records how many have run. Append
 * new migrations; never edit one that has shipped.
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '[]',
    cadence TEXT NOT NULL DEFAULT 'weekly' CHECK (cadence IN ('daily', 'weekly', 'monthly')),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
    created_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    status_changed_at INTEGER NOT NULL
  );
  CREATE INDEX subscribers_by_cadence ON subscribers (cadence, status, id);
  CREATE TABLE editions (
    number INTEGER PRIMARY KEY,
    cadence TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    tick_key TEXT,
    status TEXT NOT NULL CHECK (status IN ('sending', 'complete')),
    completed_at INTEGER,
    subject TEXT NOT NULL,
    slugs TEXT NOT NULL,
    posts TEXT NOT NULL,
    html TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (cadence, tick_key)
  );
  CREATE TABLE post_ledger (
    cadence TEXT NOT NULL,
    slug TEXT NOT NULL,
    edition INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
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
    subscriber_id INTEGER NOT NULL,
    email TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'awaiting', 'sent', 'deferred', 'failed', 'uncertain', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT,
    last_error TEXT,
    retry_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (edition, subscriber_id)
  );
  CREATE INDEX deliveries_by_state ON deliveries (edition, state);
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder_id TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    process_start TEXT NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  `,
  // Scheduler: one row per (cadence, scheduled time) so a tick is handled once, edition or not.
  `
  CREATE TABLE ticks (
    cadence TEXT NOT NULL,
    tick_key TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    outcome TEXT NOT NULL,
    edition INTEGER,
    detail TEXT,
    PRIMARY KEY (cadence, tick_key)
  );
  `,
  // Subscriber ids are never reused (AUTOINCREMENT): links in old mail name a subscriber by id, so
  // a removed subscriber's links must never reach whoever is added next.
  `
  CREATE TABLE subscribers_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '[]',
    cadence TEXT NOT NULL DEFAULT 'weekly' CHECK (cadence IN ('daily', 'weekly', 'monthly')),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
    created_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    status_changed_at INTEGER NOT NULL
  );
  INSERT INTO subscribers_rebuilt (id, email, name, categories, cadence, status, created_at, confirmed_at, status_changed_at)
    SELECT id, email, name, categories, cadence, status, created_at, confirmed_at, status_changed_at FROM subscribers;
  DROP TABLE subscribers;
  ALTER TABLE subscribers_rebuilt RENAME TO subscribers;
  CREATE INDEX subscribers_by_cadence ON subscribers (cadence, status, id);
  `,
  // Stopped topics (never sent, whatever else a post carries), and a former subscriber's sign-up
  // choices kept aside until the confirmation link is used.
  `
  ALTER TABLE subscribers ADD COLUMN excluded_categories TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE subscribers ADD COLUMN pending_choices TEXT;
  `,
  // Feeds as a post source: the last fetch of each feed (for conditional GET and status), and every
  // item seen, keyed by its identity in the feed, with the slug it was given once and keeps.
  `
  CREATE TABLE feeds (
    url TEXT PRIMARY KEY,
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    fetched_at INTEGER NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('ok', 'not-modified', 'error')),
    error TEXT,
    ok_at INTEGER
  );
  CREATE TABLE feed_items (
    feed_url TEXT NOT NULL,
    item_key TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    post TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    PRIMARY KEY (feed_url, item_key)
  );
  `,
  // Bounces and complaints: one row per event (event_key makes a replay a no-op), and lookups
  // from a report's Message-ID or address back to the delivery it is about.
  `
  CREATE TABLE bounce_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
    source TEXT NOT NULL,
    edition INTEGER,
    subscriber_id INTEGER NOT NULL,
    email TEXT NOT NULL,
    status TEXT,
    reason TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    status_changed INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX bounce_events_by_subscriber ON bounce_events (subscriber_id, kind, received_at);
  CREATE INDEX bounce_events_by_edition ON bounce_events (edition, kind);
  CREATE INDEX deliveries_by_message_id ON deliveries (message_id);
  CREATE INDEX deliveries_by_email ON deliveries (email, edition);
  `,
  // The editor's note an edition carries (JSON {ledgerKey, html, text}), for its segments and the archive.
  `
  ALTER TABLE editions ADD COLUMN note TEXT;
  `,
  // An uncertain send (every byte sent, no answer) is resent once: how many resends, and what the
  // first, uncertain attempt ended with, so the ledger keeps both attempts.
  `
  ALTER TABLE deliveries ADD COLUMN resends INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE deliveries ADD COLUMN first_uncertain TEXT;
  `,
  // The ledger as the work queue: rows owned by a worker (fenced writes), a workers table judged
  // by heartbeats, at most one open edition per cadence, and no global send lease any more.
  // Editions still open get their recipients frozen now, as new editions do at creation.
  `
  ALTER TABLE deliveries ADD COLUMN worker_id TEXT;
  CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    process_start TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );
  CREATE INDEX deliveries_open ON deliveries (edition, subscriber_id) WHERE state IN ('pending', 'deferred');
  CREATE INDEX deliveries_in_flight ON deliveries (worker_id) WHERE state IN ('sending', 'awaiting');
  CREATE UNIQUE INDEX editions_one_open ON editions (cadence) WHERE status = 'sending';
  DROP TABLE leases;
  INSERT INTO deliveries (edition, subscriber_id, email, state, attempts, updated_at)
    SELECT e.number, s.id, s.email, 'pending', 0, e.created_at
      FROM editions e JOIN subscribers s ON s.cadence = e.cadence AND s.status = 'active' AND s.confirmed_at <= e.created_at
     WHERE e.status = 'sending'
    ON CONFLICT (edition, subscriber_id) DO NOTHING;
  `,
  // A delivery's Message-ID names its edition and subscriber, so a bounce finds its row by the
  // primary key; the index over message_id only cost a random page write for every message sent.
  `
  DROP INDEX IF EXISTS deliveries_by_message_id;
  `,
  // Claims read the open rows in the order they become claimable: pending rows first (no retry
  // time), then deferred ones by retry time, and stop at the first one not yet due instead of
  // stepping over every deferred row that waits.
  `
  DROP INDEX IF EXISTS deliveries_open;
  CREATE INDEX deliveries_claimable ON deliveries (edition, coalesce(retry_at, 0), subscriber_id) WHERE state IN ('pending', 'deferred');
  `,
  // A complete edition's deliveries no longer change: their counts by state are kept with it when
  // it completes, so reports read them instead of counting an edition of millions each time.
  `
  ALTER TABLE editions ADD COLUMN final_counts TEXT;
  UPDATE editions SET final_counts = (SELECT json_group_object(state, n) FROM (SELECT state, count(*) AS n FROM deliveries WHERE edition = editions.number GROUP BY state))
   WHERE status = 'complete';
  `,
  // Every delivered message moves pending → sending → awaiting → sent, and each move rewrote its
  // entry in deliveries_by_state: two of the few pages each commit of a send writes. The three
  // states on that way are left out; they are counted as the edition's rows less the others.
  `
  DROP INDEX deliveries_by_state;
  CREATE INDEX deliveries_by_state ON deliveries (edition, state) WHERE state NOT IN ('sending', 'awaiting', 'sent');
  `,
];
