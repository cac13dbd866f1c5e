import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { WorkerInfo } from '../store/store.js';

/**
 * Who this process is, as a worker, and whether a worker on this very host is gone. The database
 * clock judges every worker by its heartbeat; a worker of this host whose process has exited (or
 * is a zombie, which `kill(pid, 0)` would still call alive) can be declared dead at once, so a
 * `digest send` rerun after a crash does not wait out WORKER_DEAD_AFTER_SECONDS.
 */
let start: string | undefined;

/** A new identity each call: a worker that lost its claims comes back as someone new. */
export function newWorkerInfo(): WorkerInfo {
  start ??= processStartTime(process.pid) ?? 'unknown';
  return { id: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, host: hostname(), pid: process.pid, processStart: start };
}

export function isGoneHere(worker: Pick<WorkerInfo, 'host' | 'pid' | 'processStart'>): boolean {
  if (worker.host !== hostname()) return false;
  const now = processStartTime(worker.pid);
  return now === undefined || (worker.processStart !== 'unknown' && now !== worker.processStart);
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
