import { choiceCountsOf, parsePending, subscriberParams, toSubscriber, type ChoiceCount, type SubscriberRow } from '../rows.js';
import { DROP_UNCHANGED, IMPORT_COLUMNS, IMPORT_REPLACE, importTableSql, importValues, insertNewSql, updateExistingSql } from '../subscriber-import.js';
import type { SubscriberInput, SubscriberStatus, SubscriberStore } from '../store.js';
import type { Pg, Sql } from './db.js';

const PAGE = 500;

const UPSERT = `INSERT INTO subscribers (email, name, categories, excluded_categories, cadence, status, created_at, confirmed_at, status_changed_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $6 = 'active' THEN $7::bigint END, $7)
  ON CONFLICT (email) DO UPDATE SET
    name = CASE WHEN $8 THEN excluded.name ELSE subscribers.name END,
    categories = CASE WHEN $9 THEN excluded.categories ELSE subscribers.categories END,
    excluded_categories = CASE WHEN $10 THEN excluded.excluded_categories ELSE subscribers.excluded_categories END,
    cadence = CASE WHEN $11 THEN excluded.cadence ELSE subscribers.cadence END,
    status = CASE WHEN $12 THEN excluded.status ELSE subscribers.status END,
    confirmed_at = CASE WHEN $12 AND excluded.status = 'active' AND subscribers.status <> 'active' THEN $7 ELSE subscribers.confirmed_at END,
    status_changed_at = CASE WHEN $12 AND excluded.status <> subscribers.status THEN $7 ELSE subscribers.status_changed_at END
  RETURNING (xmax = 0) AS inserted`;

const SET_STATUS = `UPDATE subscribers SET status = $2, status_changed_at = $3,
    confirmed_at = CASE WHEN $2 = 'active' AND status <> 'active' THEN $3 ELSE confirmed_at END
  WHERE id = $1 AND status <> $2`;

/** The topics filter of `subscribers list --category`: no topics means all, a stopped topic never. */
const PAGE_QUERY = `SELECT * FROM subscribers WHERE id > $1 AND ($2::text IS NULL OR status = $2) AND (NOT $4::bool OR excluded_categories <> '[]')
  AND ($3::text IS NULL OR ((categories = '[]' OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(categories::jsonb) v WHERE lower(v) = lower($3)))
    AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(excluded_categories::jsonb) v WHERE lower(v) = lower($3))))
  ORDER BY id LIMIT ${PAGE}`;

/**
 * A subscriber's topics as a JSON array, for counting in SQL. PostgreSQL 15 cannot test whether text
 * is valid JSON without failing the whole query, so a cell is cast only when it is an array of
 * strings, numbers, true, false or null (what the store writes, and hand edits of it); anything else
 * reads as none chosen, and only the strings count, as in toSubscriber.
 */
const JSON_STRING = String.raw`"([^"\\\x01-\x1f]|\\(["\\/bfnrt]|u[0-9a-fA-F]{4}))*"`;
const JSON_SCALAR = String.raw`(${JSON_STRING}|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null)`;
const TOPICS_OF = String.raw`CASE WHEN s.categories ~ '^\s*\[\s*(${JSON_SCALAR}\s*(,\s*${JSON_SCALAR}\s*)*)?\]\s*$' THEN s.categories::jsonb ELSE '[]'::jsonb END`;

/** A batch staged in one statement, a column per array. */
const STAGE = `INSERT INTO import_rows (${IMPORT_COLUMNS})
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bool[], $9::bool[], $10::bool[], $11::bool[], $12::bool[])
  ${IMPORT_REPLACE}`;

const IMPORT_TOPICS = `SELECT t.topic FROM import_rows i, jsonb_array_elements_text(i.categories::jsonb) WITH ORDINALITY AS t(topic, n)
  GROUP BY t.topic ORDER BY min(i.seq * 1000000 + t.n)`;

/** One statement may not name an address twice: the batch's later row for it wins, in the earlier one's place. */
function stageColumns(rows: SubscriberInput[], firstSeq: number): unknown[][] {
  const byEmail = new Map<string, ReturnType<typeof importValues>>();
  rows.forEach((row, i) => {
    const values = importValues(row, firstSeq + i);
    const earlier = byEmail.get(row.email);
    byEmail.set(row.email, earlier ? [values[0], earlier[1], ...values.slice(2)] as typeof values : values);
  });
  const columns: unknown[][] = IMPORT_COLUMNS.split(', ').map(() => []);
  for (const values of byEmail.values()) values.forEach((value, c) => columns[c]!.push(value));
  return columns;
}

async function importAll(sql: Sql, batches: AsyncIterable<SubscriberInput[]>, now: number) {
  await sql.run('DROP TABLE IF EXISTS pg_temp.import_rows');
  await sql.run(`${importTableSql('BOOLEAN')} ON COMMIT DROP`);
  let seq = 1;
  for await (const rows of batches) {
    if (rows.length) await sql.run(STAGE, stageColumns(rows, seq));
    seq += rows.length;
  }
  const [count] = await sql.rows<{ n: number }>('SELECT count(*)::int AS n FROM import_rows');
  const topics = (await sql.rows<{ topic: string }>(IMPORT_TOPICS)).map((r) => r.topic);
  await sql.run('LOCK TABLE subscribers IN SHARE ROW EXCLUSIVE MODE');
  await sql.run(DROP_UNCHANGED);
  const updated = await sql.run(updateExistingSql('$1::bigint'), [now]);
  const added = await sql.run(insertNewSql('$1::bigint'), [now]);
  await sql.run('DROP TABLE import_rows');
  const rows = count?.n ?? 0;
  return { rows, added, updated, unchanged: rows - added - updated, topics };
}

async function one(sql: Sql, text: string, values: unknown[]): Promise<SubscriberRow | undefined> {
  return (await sql.rows<SubscriberRow>(text, values))[0];
}

export function subscriberStore(db: Pg): SubscriberStore {
  return {
    async upsertSubscribers(rows, now) {
      return db.tx(async (sql) => {
        let added = 0;
        for (const row of rows) {
          const p = subscriberParams(row, now.getTime());
          const values = [p.email, p.name, p.categories, p.excludedCategories, p.cadence, p.status, p.now, !!p.nameGiven, !!p.categoriesGiven, !!p.excludedGiven, !!p.cadenceGiven, !!p.statusGiven];
          const [result] = await sql.rows<{ inserted: boolean }>(UPSERT, values);
          if (result?.inserted) added += 1;
        }
        return { added, updated: rows.length - added };
      });
    },
    async importSubscribers(batches, now) {
      return db.tx((sql) => importAll(sql, batches, now.getTime()));
    },
    async findSubscriber(email) {
      const row = await one(db, 'SELECT * FROM subscribers WHERE email = $1', [email]);
      return row && toSubscriber(row);
    },
    async getSubscriber(id) {
      const row = await one(db, 'SELECT * FROM subscribers WHERE id = $1', [id]);
      return row && toSubscriber(row);
    },
    async *listSubscribers(filter = {}) {
      let after = 0;
      for (;;) {
        const rows = await db.rows<SubscriberRow>(PAGE_QUERY, [after, filter.status ?? null, filter.category ?? null, filter.stoppedTopics === true]);
        for (const row of rows) yield toSubscriber(row);
        if (rows.length < PAGE) return;
        after = rows[rows.length - 1]?.id ?? after;
      }
    },
    async setStatus(id, status, now) {
      return (await db.run(SET_STATUS, [id, status, now.getTime()])) > 0;
    },
    async setPendingChoices(id, choices) {
      await db.run('UPDATE subscribers SET pending_choices = $1 WHERE id = $2', [JSON.stringify(choices), id]);
    },
    async confirmSubscriber(id, now) {
      return db.tx(async (sql) => {
        const row = await one(sql, 'SELECT * FROM subscribers WHERE id = $1 FOR UPDATE', [id]);
        if (!row) return false;
        // Already active (resubscribed from the preferences page since): the sign-up's choices are moot.
        const pending = row.status === 'active' ? undefined : parsePending(row.pending_choices);
        if (row.pending_choices !== null) await sql.run('UPDATE subscribers SET pending_choices = NULL WHERE id = $1', [id]);
        if (pending) {
          // A new sign-up is a fresh choice: topics stopped before are cleared.
          await sql.run(`UPDATE subscribers SET name = $1, categories = $2, excluded_categories = '[]', cadence = $3 WHERE id = $4`, [
            pending.name ?? row.name,
            JSON.stringify(pending.categories ?? []),
            pending.cadence ?? row.cadence,
            id,
          ]);
        }
        return (await sql.run(SET_STATUS, [id, 'active', now.getTime()])) > 0;
      });
    },
    async updatePreferences(id, changes) {
      await db.run(
        `UPDATE subscribers SET name = coalesce($1, name), categories = coalesce($2, categories),
           excluded_categories = coalesce($3, excluded_categories), cadence = coalesce($4, cadence) WHERE id = $5`,
        [changes.name ?? null, changes.categories ? JSON.stringify(changes.categories) : null, changes.excludedCategories ? JSON.stringify(changes.excludedCategories) : null, changes.cadence ?? null, id],
      );
    },
    async removeSubscriber(email) {
      return (await db.run('DELETE FROM subscribers WHERE email = $1', [email])) > 0;
    },
    async countSubscribers() {
      const counts: Record<SubscriberStatus, number> = { pending: 0, active: 0, unsubscribed: 0, bounced: 0 };
      for (const row of await db.rows<{ status: SubscriberStatus; n: number }>('SELECT status, count(*)::int AS n FROM subscribers GROUP BY status')) counts[row.status] = row.n;
      return counts;
    },
    async countActiveChoices() {
      const [byCadence, byTopic] = await Promise.all([
        db.rows<ChoiceCount>(`SELECT cadence AS key, count(*)::int AS n FROM subscribers WHERE status = 'active' GROUP BY cadence`),
        // One pass: a subscriber with no topic chosen joins no item and is counted under a null key.
        db.rows<ChoiceCount>(
          `SELECT t #>> '{}' AS key, count(*)::int AS n FROM subscribers s LEFT JOIN LATERAL jsonb_array_elements(${TOPICS_OF}) t ON jsonb_typeof(t) = 'string' WHERE s.status = 'active' GROUP BY 1`,
        ),
      ]);
      return choiceCountsOf(byCadence, byTopic);
    },
  };
}
