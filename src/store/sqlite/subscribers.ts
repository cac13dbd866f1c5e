import type { Cadence } from '../../render/view-model.js';
import type { PendingChoices, Subscriber, SubscriberFilter, SubscriberInput, SubscriberStatus, SubscriberStore } from '../store.js';
import type { Db } from './open.js';

export interface SubscriberRow {
  id: number;
  email: string;
  name: string;
  categories: string;
  excluded_categories: string;
  pending_choices: string | null;
  cadence: string;
  status: string;
  created_at: number;
  confirmed_at: number | null;
}

const PAGE = 500;

export function toSubscriber(row: SubscriberRow): Subscriber {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    categories: parseCategories(row.categories),
    excludedCategories: parseCategories(row.excluded_categories ?? '[]'),
    cadence: row.cadence as Cadence,
    status: row.status as SubscriberStatus,
    createdAt: new Date(row.created_at),
    confirmedAt: row.confirmed_at === null ? null : new Date(row.confirmed_at),
  };
}

/** A damaged topics cell (edited by hand, say) means "all topics" rather than stopping a whole send. */
function parseCategories(cell: string): string[] {
  try {
    const parsed: unknown = JSON.parse(cell);
    return Array.isArray(parsed) ? parsed.filter((c): c is string => typeof c === 'string') : [];
  } catch {
    return [];
  }
}

function parsePending(cell: string | null): PendingChoices | undefined {
  if (!cell) return undefined;
  try {
    const parsed = JSON.parse(cell) as Record<string, unknown>;
    const categories = Array.isArray(parsed['categories']) ? parsed['categories'].filter((c): c is string => typeof c === 'string') : undefined;
    return {
      ...(typeof parsed['name'] === 'string' ? { name: parsed['name'] } : {}),
      ...(categories ? { categories } : {}),
      ...(typeof parsed['cadence'] === 'string' ? { cadence: parsed['cadence'] as Cadence } : {}),
    };
  } catch {
    return undefined;
  }
}

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
    `SELECT * FROM subscribers WHERE id > @after AND (@status IS NULL OR status = @status)
       AND (@category IS NULL OR ((categories = '[]' OR EXISTS (SELECT 1 FROM json_each(categories) WHERE lower(value) = lower(@category)))
         AND NOT EXISTS (SELECT 1 FROM json_each(excluded_categories) WHERE lower(value) = lower(@category))))
     ORDER BY id LIMIT ${PAGE}`,
  );
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
      insert.run(toParams(row, now));
    }
    return { added, updated: rows.length - added };
  });
  return {
    async upsertSubscribers(rows, now) {
      return upsertAll.immediate(rows, now.getTime());
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
        const rows = page.all({ after, status: filter.status ?? null, category: filter.category ?? null }) as SubscriberRow[];
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

function toParams(row: SubscriberInput, now: number) {
  return {
    email: row.email,
    name: row.name ?? '',
    categories: JSON.stringify(row.categories ?? []),
    excludedCategories: JSON.stringify(row.excludedCategories ?? []),
    cadence: row.cadence ?? 'weekly',
    status: row.status ?? 'active',
    now,
    nameGiven: row.name === undefined ? 0 : 1,
    categoriesGiven: row.categories === undefined ? 0 : 1,
    excludedGiven: row.excludedCategories === undefined ? 0 : 1,
    cadenceGiven: row.cadence === undefined ? 0 : 1,
    statusGiven: row.status === undefined ? 0 : 1,
  };
}
