-- A delivery's Message-ID names its edition and subscriber, so a bounce finds its row by the
-- primary key; the index over message_id only cost a random page write for every message sent.
DROP INDEX IF EXISTS deliveries_by_message_id;
