-- Feeds as a post source (as the SQLite store's feeds migration): the last fetch of each feed, and
-- every item seen, keyed by its identity in the feed, with the slug it was given once and keeps.
CREATE TABLE feeds (
  url TEXT PRIMARY KEY,
  title TEXT,
  etag TEXT,
  last_modified TEXT,
  fetched_at BIGINT NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('ok', 'not-modified', 'error')),
  error TEXT,
  ok_at BIGINT
);

CREATE TABLE feed_items (
  feed_url TEXT NOT NULL,
  item_key TEXT NOT NULL,
  slug TEXT NOT NULL UNIQUE,
  post TEXT NOT NULL,
  first_seen_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  PRIMARY KEY (feed_url, item_key)
);
