import { choiceCountsOf, parsePending, subscriberParams, toSubscriber, type ChoiceCount, type SubscriberRow } from '../rows.js';
import { DROP_UNCHANGED, IMPORT_COLUMNS, IMPORT_REPLACE, importTableSql, importValues, insertNewSql, updateExistingSql } from '../subscriber-import.js';
import type { SubscriberFilter, SubscriberInput, SubscriberStatus, SubscriberStore } from '../store.js';
import type { Db } from './open.js';

const PAGE = 500;

export function subscriberStore(db: Db): SubscriberStore {
  const insert = db.prepare(
    `INSERT INTO subscribers (email, name, categories, excluded_categories, cadence, status, created_at, confirmed_at, status_changed_at)
     VALUES (@email, @name, @categories, @excludedCategories, @cadence, @status, @now, CASE WHEN @status = 'active' THEN @now END, @now)
     ON CONFLICT (email) DO UPDATE SET
       name = CASE WHEN @nameGiven THEN excluded.name ELSE name END,
       categories = CASE WHEN @categoriesGiven THEN excluded.categories ELSE categories END,
       excluded_categories = CASE WHEN @excludedGiven THEN excluded.excluded_categories ELSE excluded_categories END,
       cadence = CASE WHEN @cadenceGiven THEN excluded.cadence ELSE cadence END,
       status = CASE WHEN @statusGiven THEN excluded.status ELSE status END,
       confirmed_at = CASE WHEN @statusGiven AND excluded.status = 'active' AND status <> 'active' THEN @now ELSE confirmed_at END,
       status_changed_at = CASE WHEN @statusGiven AND excluded.status <> status THEN @now ELSE status_changed_at END`,
  );
  const byEmail = db.prepare('SELECT * FROM subscribers WHERE email = ?');
  const byId = db.prepare('SELECT * FROM subscribers WHERE id = ?');
  const page = db.prepare(
    `SELECT * FROM subscribers WHERE id > @after AND (@status IS NULL OR status = @status) AND (@stopped = 0 OR excluded_categories <> '[]')
       AND (@category IS NULL OR ((categories = '[]' OR EXISTS (SELECT 1 FROM json_each(categories) WHERE lower(value) = lower(@category)))
         AND NOT EXISTS (SELECT 1 FROM json_each(excluded_categories) WHERE lower(value) = lower(@category))))
     ORDER BY id LIMIT ${PAGE}`,
  );
  // A damaged topics cell (not a JSON array) reads as none chosen, and only text items count, as in toSubscriber.
  const topicsOf = `CASE WHEN NOT json_valid(s.categories) THEN '[]' WHEN json_type(s.categories) <> 'array' THEN '[]' ELSE s.categories END`;
  const choiceCounts = {
    byCadence: db.prepare(`SELECT cadence AS key, count(*) AS n FROM subscribers WHERE status = 'active' GROUP BY cadence`),
    // One pass: a subscriber with no topic chosen joins no item and is counted under a null key.
    byTopic: db.prepare(`SELECT t.value AS key, count(*) AS n FROM subscribers s LEFT JOIN json_each(${topicsOf}) t ON t.type = 'text' WHERE s.status = 'active' GROUP BY t.value`),
  };
  const updateStatus = db.prepare(
    `UPDATE subscribers SET status = @status, status_changed_at = @now,
       confirmed_at = CASE WHEN @status = 'active' AND status <> 'active' THEN @now ELSE confirmed_at END
     WHERE id = @id AND status <> @status`,
  );
  const updateChoices = db.prepare('UPDATE subscribers SET name = ?, categories = ?, excluded_categories = ?, cadence = ? WHERE id = ?');
  const setPending = db.prepare('UPDATE subscribers SET pending_choices = ? WHERE id = ?');
  const confirmAll = db.transaction((id: number, now: number) => {
    const row = byId.get(id) as SubscriberRow | undefined;
    if (!row) return false;
    // Already active (resubscribed from the preferences page since): the sign-up's choices are moot.
    const pending = row.status === 'active' ? undefined : parsePending(row.pending_choices);
    if (row.pending_choices !== null) setPending.run(null, id);
    if (pending) {
      // A new sign-up is a fresh choice, as its form says ("leave all unticked to get every topic"):
      // topics stopped before are cleared.
      updateChoices.run(pending.name ?? row.name, JSON.stringify(pending.categories ?? []), '[]', pending.cadence ?? row.cadence, id);
    }
    return updateStatus.run({ id, status: 'active', now }).changes > 0;
  });
  const upsertAll = db.transaction((rows: SubscriberInput[], now: number) => {
    let added = 0;
    for (const row of rows) {
      if (!byEmail.get(row.email)) added += 1;
      insert.run(subscriberParams(row, now));
    }
    return { added, updated: rows.length - added };
  });
  const importAll = (now: number) => {
    const rows = (db.prepare('SELECT count(*) AS n FROM import_rows').get() as { n: number }).n;
    // Topics in the order the file first names them (`key` is a topic's place within its row).
    const topics = db.prepare('SELECT j.value AS topic FROM import_rows i, json_each(i.categories) j GROUP BY j.value ORDER BY min(i.seq * 1000000 + j.key)').pluck().all() as string[];
    const write = db.transaction(() => {
      db.prepare(DROP_UNCHANGED).run();
      const updated = db.prepare(updateExistingSql('@now')).run({ now }).changes;
      const added = db.prepare(insertNewSql('@now')).run({ now }).changes;
      return { added, updated };
    });
    const { added, updated } = write.immediate();
    return { rows, added, updated, unchanged: rows - added - updated, topics };
  };
  return {
    async upsertSubscribers(rows, now) {
      return upsertAll.immediate(rows, now.getTime());
    },
    async importSubscribers(batches, now) {
      db.exec('DROP TABLE IF EXISTS temp.import_rows');
      db.exec(importTableSql('INTEGER'));
      // The temporary table's own page cache: a few MB is enough to append to it, and keeps the import's memory low.
      db.pragma('temp.cache_size = -4000');
      try {
        let seq = 0;
        const stage = db.prepare(`INSERT INTO import_rows (${IMPORT_COLUMNS}) VALUES (${IMPORT_COLUMNS.replace(/\w+/g, '?')}) ${IMPORT_REPLACE}`);
        // Only the temporary table is written until the end: the database stays free for others meanwhile.
        const stageAll = db.transaction((rows: SubscriberInput[]) => {
          for (const row of rows) stage.run(importValues(row, (seq += 1)).map((v) => (typeof v === 'boolean' ? Number(v) : v)));
        });
        for await (const rows of batches) stageAll(rows);
        return importAll(now.getTime());
      } finally {
        db.exec('DROP TABLE IF EXISTS temp.import_rows');
      }
    },
    async findSubscriber(email) {
      const row = byEmail.get(email) as SubscriberRow | undefined;
      return row && toSubscriber(row);
    },
    async getSubscriber(id) {
      const row = byId.get(id) as SubscriberRow | undefined;
      return row && toSubscriber(row);
    },
    async *listSubscribers(filter: SubscriberFilter = {}) {
      let after = 0;
      for (;;) {
        const rows = page.all({ after, status: filter.status ?? null, category: filter.category ?? null, stopped: filter.stoppedTopics ? 1 : 0 }) as SubscriberRow[];
        for (const row of rows) yield toSubscriber(row);
        if (rows.length < PAGE) return;
        after = rows[rows.length - 1]?.id ?? after;
      }
    },
    async setStatus(id, status, now) {
      return durably(db, () => updateStatus.run({ id, status, now: now.getTime() }).changes > 0);
    },
    async setPendingChoices(id, choices) {
      setPending.run(JSON.stringify(choices), id);
    },
    async confirmSubscriber(id, now) {
      return durably(db, () => confirmAll.immediate(id, now.getTime()));
    },
    async updatePreferences(id, changes) {
      const current = byId.get(id) as SubscriberRow | undefined;
      if (!current) return;
      updateChoices.run(
        changes.name ?? current.name,
        changes.categories ? JSON.stringify(changes.categories) : current.categories,
        changes.excludedCategories ? JSON.stringify(changes.excludedCategories) : current.excluded_categories,
        changes.cadence ?? current.cadence,
        id,
      );
    },
    async removeSubscriber(email) {
      return db.prepare('DELETE FROM subscribers WHERE email = ?').run(email).changes > 0;
    },
    async countSubscribers() {
      const counts: Record<SubscriberStatus, number> = { pending: 0, active: 0, unsubscribed: 0, bounced: 0 };
      for (const row of db.prepare('SELECT status, count(*) AS n FROM subscribers GROUP BY status').all() as { status: SubscriberStatus; n: number }[]) {
        counts[row.status] = row.n;
      }
      return counts;
    },
    async countActiveChoices() {
      return choiceCountsOf(choiceCounts.byCadence.all() as ChoiceCount[], choiceCounts.byTopic.all() as ChoiceCount[]);
    },
  };
}

/**
 * A status change is a promise to a person (an unsubscribe, a confirmation): the WAL is synced to
 * disk at this commit (synchronous = FULL), not at the next checkpoint, before the caller answers.
 */
function durably<T>(db: Db, write: () => T): T {
  if (db.inTransaction) return write();
  db.pragma('synchronous = FULL');
  try {
    return write();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
}
