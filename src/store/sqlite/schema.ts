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
];
