import type { LeaseHolder, LeaseStore } from '../store.js';
import type { Db } from './open.js';

interface LeaseRow {
  holder_id: string;
  pid: number;
  host: string;
  process_start: string;
  acquired_at: number;
  expires_at: number;
}

/**
 * The send lease lives in the database, not in the process, so a cron tick, a manual send and a
 * second machine sharing the database all see the same one. Taking it is one IMMEDIATE
 * transaction: read, judge, write, with no window for another process in between.
 */
export function leaseStore(db: Db): LeaseStore {
  const read = db.prepare('SELECT * FROM leases WHERE name = ?');
  const write = db.prepare(
    `INSERT INTO leases (name, holder_id, pid, host, process_start, acquired_at, expires_at)
     VALUES (@name, @id, @pid, @host, @processStart, @now, @expires)
     ON CONFLICT (name) DO UPDATE SET holder_id = @id, pid = @pid, host = @host, process_start = @processStart, acquired_at = @now, expires_at = @expires`,
  );
  const acquire = db.transaction((name: string, holder: LeaseHolder, ttlMs: number, now: number, isStale: (h: LeaseHolder) => boolean) => {
    const current = read.get(name) as LeaseRow | undefined;
    if (current && current.holder_id !== holder.id && current.expires_at > now && !isStale(toHolder(current))) return false;
    write.run({ name, ...holder, now, expires: now + ttlMs });
    return true;
  });
  return {
    async acquireLease(name, holder, ttlMs, now, isStale) {
      return acquire.immediate(name, holder, ttlMs, now.getTime(), isStale);
    },
    async renewLease(name, holderId, ttlMs, now) {
      return db.prepare('UPDATE leases SET expires_at = ? WHERE name = ? AND holder_id = ?').run(now.getTime() + ttlMs, name, holderId).changes === 1;
    },
    async releaseLease(name, holderId) {
      db.prepare('DELETE FROM leases WHERE name = ? AND holder_id = ?').run(name, holderId);
    },
    async leaseInfo(name) {
      const row = read.get(name) as LeaseRow | undefined;
      return row && { ...toHolder(row), acquiredAt: new Date(row.acquired_at), expiresAt: new Date(row.expires_at) };
    },
  };
}

function toHolder(row: LeaseRow): LeaseHolder {
  return { id: row.holder_id, pid: row.pid, host: row.host, processStart: row.process_start };
}
