import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { post, REPO } from '../support/workspace.js';
import { hostile, hoursAgo, SUBSCRIBERS, type Hostile } from './harness.js';
import { cliArgv } from '../support/cli.js';
import { fillUntilFull } from '../support/fill-disk.js';

/**
 * A full disk under DATA_DIR (a 1 MB tmpfs, filled, then given back a little at a time): however
 * far a send gets before the disk is full, it stops with "the disk is full", never records as sent
 * a message that did not reach the server, and with space back every subscriber ends up with
 * exactly one message (with UNCERTAIN_RESEND=never: a message the server took but the ledger could
 * not record stays uncertain; the default resends it once, as tests/store/pg-faults.test.ts shows).
 * Needs root to mount; otherwise the cases are skipped with the reason.
 */
let h: Hostile;
beforeEach(async () => {
  h = await hostile();
  h.ws.writePost('p.md', post({ title: 'Store victim', date: hoursAgo(1) }));
});
afterEach(() => h.close());

const MOUNT = `/tmp/digest-hostile-full-disk-${process.pid}`;

/** Mounts a 1 MB tmpfs; the reason it can't, when it can't (not root, no mount permission). */
function mountTmpfs(): string | undefined {
  try {
    mkdirSync(MOUNT, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', MOUNT], { stdio: 'ignore' });
    return undefined;
  } catch (error) {
    return `mounting a small tmpfs is not allowed here (${(error as Error).message.split('\n')[0]})`;
  }
}

function unmount(): void {
  execFileSync('umount', [MOUNT]);
  rmSync(MOUNT, { recursive: true, force: true });
}

/** Probed once when the file loads, so the cases are skipped (with the reason) rather than failed. */
const cannotMount = (() => {
  const reason = mountTmpfs();
  if (!reason) unmount();
  return reason;
})();

/** Fills the disk, then frees `freeKb` again. */
function fillDisk(freeKb: number): string {
  const filler = fillUntilFull(join(MOUNT, 'filler'), 4096);
  truncateSync(filler, Math.max(0, statSync(filler).size - freeKb * 1024));
  return filler;
}

function freeSpaceKb(): number {
  const stats = statfsSync(MOUNT);
  return (stats.bavail * stats.bsize) / 1024;
}

/** `digest send` as its own process: what the next cron run or operator would start. */
function sendInChild(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliArgv('send'), { cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

function finalStates(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT state FROM deliveries ORDER BY subscriber_id').all() as { state: string }[]).map((r) => r.state);
  } finally {
    db.close();
  }
}

function sentRows(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM deliveries WHERE state = 'sent'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe.skipIf(cannotMount)(`a full disk${cannotMount ? ` (skipped: ${cannotMount})` : ''}`, () => {
  beforeEach(() => {
    const reason = mountTmpfs();
    if (reason) throw new Error(reason);
    h.ws.env.DATA_DIR = join(MOUNT, 'data');
    h.ws.env.UNCERTAIN_RESEND = 'never';
  });
  afterEach(() => unmount());

  // How far a send gets depends on how much space is left: before the edition, before any message,
  // after some were sent. Whatever the point, the same promises hold. Every amount here is small
  // enough that the run does meet a full disk (measured: from about 192 KB left the run finishes and
  // only the database's checkpoint at close finds the disk full), and the test asserts it did.
  it.each([0, 48, 96, 128, 160])('%i KB left: "the disk is full", never marked sent unsent, everyone exactly once in the end', async (freeKb) => {
    await h.subscribe(...SUBSCRIBERS.map((email) => ({ email })));
    const filler = fillDisk(freeKb);
    expect(freeSpaceKb()).toBeLessThanOrEqual(freeKb + 4);
    // Its own process, as cron would start it: a lease it could not release dies with it.
    const run = await sendInChild(h.ws.env);
    const file = join(MOUNT, 'data', 'digest.sqlite');
    // The condition under test was reached: the run failed on the full disk and said so.
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('the disk is full');
    rmSync(filler);
    // Never "sent" in the ledger without having reached the server.
    expect(sentRows(file)).toBeLessThanOrEqual(h.smtp.received.length);
    expect(run.output).not.toMatch(/sample subscribers/);
    // Only the failing run needs a process of its own; the runs after it are the same CLI in process.
    const again = await h.cli('send');
    // Exactly one message each, however far the first run got.
    expect(h.smtp.received.map((r) => r.to[0]).sort()).toEqual(SUBSCRIBERS);
    const states = finalStates(file);
    expect(states.filter((s) => s !== 'sent' && s !== 'uncertain')).toEqual([]);
    expect(states).toHaveLength(SUBSCRIBERS.length);
    // A message whose "sent" could not be recorded is uncertain: named, exit 2, never resent.
    if (states.includes('uncertain')) {
      expect(again.code).toBe(2);
      expect(again.output).toContain('not resent');
    } else expect(again.code, again.output).toBe(0);
    await h.cli('send');
    expect(h.smtp.received).toHaveLength(SUBSCRIBERS.length);
  }, 120_000);
});
