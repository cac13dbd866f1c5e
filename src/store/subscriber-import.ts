import type { SubscriberInput } from './store.js';
import { subscriberParams } from './rows.js';

/**
 * A CSV import as both stores run it. Rows are gathered in a temporary table `import_rows` (one row
 * per address: a later row replaces an earlier one and keeps the earlier one's place, `seq`), so
 * memory stays flat however long the file; then, in one transaction, rows that would change
 * nothing are counted and dropped, existing subscribers are updated and new ones inserted in file
 * order. The statements are plain SQL both SQLite and PostgreSQL run; `now` is the placeholder.
 */
export const IMPORT_COLUMNS = 'email, seq, name, categories, excluded_categories, cadence, status, name_given, categories_given, excluded_given, cadence_given, status_given';

/** `seq` is the row's place in the file: on SQLite the table's rowid (INTEGER), so reading in file order needs no sort. */
export function importTableSql(flag: 'INTEGER' | 'BOOLEAN'): string {
  const seq = flag === 'INTEGER' ? 'INTEGER' : 'BIGINT';
  return `CREATE TEMP TABLE import_rows (seq ${seq} PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, categories TEXT NOT NULL,
    excluded_categories TEXT NOT NULL, cadence TEXT NOT NULL, status TEXT NOT NULL, name_given ${flag} NOT NULL, categories_given ${flag} NOT NULL,
    excluded_given ${flag} NOT NULL, cadence_given ${flag} NOT NULL, status_given ${flag} NOT NULL)`;
}

/** What a later row for the same address replaces: everything but its place. */
export const IMPORT_REPLACE = `ON CONFLICT (email) DO UPDATE SET name = excluded.name, categories = excluded.categories,
  excluded_categories = excluded.excluded_categories, cadence = excluded.cadence, status = excluded.status, name_given = excluded.name_given,
  categories_given = excluded.categories_given, excluded_given = excluded.excluded_given, cadence_given = excluded.cadence_given,
  status_given = excluded.status_given`;

/** A row whose given fields all equal the subscriber's (the same test as `subscribers add`'s). */
export const DROP_UNCHANGED = `DELETE FROM import_rows WHERE email IN (
  SELECT s.email FROM subscribers s JOIN import_rows i ON i.email = s.email
  WHERE NOT ((i.name_given AND i.name <> s.name) OR (i.categories_given AND i.categories <> s.categories)
    OR (i.excluded_given AND i.excluded_categories <> s.excluded_categories) OR (i.cadence_given AND i.cadence <> s.cadence)
    OR (i.status_given AND i.status <> s.status)))`;

/** The upsert's update half, set-wise: fields not given are left alone; a status change is dated. */
export function updateExistingSql(now: string): string {
  return `UPDATE subscribers SET
    name = CASE WHEN i.name_given THEN i.name ELSE subscribers.name END,
    categories = CASE WHEN i.categories_given THEN i.categories ELSE subscribers.categories END,
    excluded_categories = CASE WHEN i.excluded_given THEN i.excluded_categories ELSE subscribers.excluded_categories END,
    cadence = CASE WHEN i.cadence_given THEN i.cadence ELSE subscribers.cadence END,
    status = CASE WHEN i.status_given THEN i.status ELSE subscribers.status END,
    confirmed_at = CASE WHEN i.status_given AND i.status = 'active' AND subscribers.status <> 'active' THEN ${now} ELSE subscribers.confirmed_at END,
    status_changed_at = CASE WHEN i.status_given AND i.status <> subscribers.status THEN ${now} ELSE subscribers.status_changed_at END
  FROM import_rows i WHERE subscribers.email = i.email`;
}

/** The upsert's insert half, in the order the addresses first appear in the file (ids follow it). */
export function insertNewSql(now: string): string {
  return `INSERT INTO subscribers (email, name, categories, excluded_categories, cadence, status, created_at, confirmed_at, status_changed_at)
    SELECT i.email, i.name, i.categories, i.excluded_categories, i.cadence, i.status, ${now}, CASE WHEN i.status = 'active' THEN ${now} END, ${now}
    FROM import_rows i WHERE NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.email = i.email) ORDER BY i.seq`;
}

/** A staged row's values, in IMPORT_COLUMNS order. */
export function importValues(row: SubscriberInput, seq: number): [string, number, string, string, string, string, string, boolean, boolean, boolean, boolean, boolean] {
  const p = subscriberParams(row, 0);
  return [p.email, seq, p.name, p.categories, p.excludedCategories, p.cadence, p.status, !!p.nameGiven, !!p.categoriesGiven, !!p.excludedGiven, !!p.cadenceGiven, !!p.statusGiven];
}
