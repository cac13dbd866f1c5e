import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { DeliveryError } from '../errors.js';
import type { LeaseHolder, LeaseStore } from '../store/store.js';

export const SEND_LEASE = 'send';
const TTL_MS = 30_000;
const HEARTBEAT_MS = 10_000;

/**
 * Runs `work` while holding the database lease, renewing it as it goes. A holder on this host
 * whose process is gone (or is a zombie, which `kill(pid, 0)` would still call alive) is stale at
 * once; a holder elsewhere is stale when its lease expires.
 */
export async function withSendLease<T>(store: LeaseStore, now: () => Date, work: () => Promise<T>): Promise<T> {
  const holder = currentHolder();
  if (!(await store.acquireLease(SEND_LEASE, holder, TTL_MS, now(), isStaleHolder))) {
    const info = await store.leaseInfo(SEND_LEASE);
    const who = info ? `process ${info.pid} on ${info.host}, since ${info.acquiredAt.toISOString()}` : 'another process';
    throw new DeliveryError('SEND_IN_PROGRESS', `A send is already running (${who}). Nothing was done; try again when it finishes.`);
  }
  heldHere.add(holder.id);
  const heartbeat = setInterval(() => void store.renewLease(SEND_LEASE, holder.id, TTL_MS, now()).catch(() => undefined), HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
    heldHere.delete(holder.id);
    await store.releaseLease(SEND_LEASE, holder.id);
  }
}

/**
 * Leases this process holds right now. A lease of this very process that is not among them was
 * left behind (its release failed, say on a full disk): a long-running `digest start` must not
 * wait for it to expire before its own next tick.
 */
const heldHere = new Set<string>();

let self: LeaseHolder | undefined;

function currentHolder(): LeaseHolder {
  self ??= { id: randomUUID(), pid: process.pid, host: hostname(), processStart: processStartTime(process.pid) ?? 'unknown' };
  return { ...self, id: randomUUID() };
}

export function isStaleHolder(holder: LeaseHolder): boolean {
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid && holder.processStart === currentHolder().processStart) return !heldHere.has(holder.id);
  const start = processStartTime(holder.pid);
  return start === undefined || (holder.processStart !== 'unknown' && start !== holder.processStart);
}

/** Field 22 of /proc/PID/stat; undefined when the process is gone or a zombie. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}
