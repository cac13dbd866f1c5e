import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { joined, type OutgoingMessage } from '../mail/built-message.js';
import type { Envelope, SendOutcome, Transport } from './transport.js';

/**
 * The embedded default: each message becomes one RFC 5322 `.eml` file that any mail client opens.
 * Written to a temporary name and renamed, so a crash never leaves half a message behind.
 */
export function outboxTransport(dir: string): Transport {
  return {
    description: `the outbox at ${dir}`,
    concurrency: 4,
    async verify() {
      await mkdir(dir, { recursive: true });
    },
    async send(envelope: Envelope, message: OutgoingMessage, beforeCommit): Promise<SendOutcome> {
      const name = envelope.messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9.@_-]/g, '_');
      const file = join(dir, `${name}.eml`);
      await writeFile(`${file}.tmp`, joined(message));
      if (!(await beforeCommit())) {
        await rm(`${file}.tmp`, { force: true });
        return { status: 'aborted' };
      }
      await rename(`${file}.tmp`, file);
      return { status: 'sent', response: `written to ${file}` };
    },
    async close() {},
  };
}

/** Discards everything: `digest send --dry-run` builds every message and sends none. */
export function dryRunTransport(): Transport & { count: () => number } {
  let sent = 0;
  return {
    description: 'nowhere (dry run)',
    concurrency: 8,
    async verify() {},
    async send(_envelope, _message, beforeCommit) {
      if (!(await beforeCommit())) return { status: 'aborted' };
      sent += 1;
      return { status: 'sent', response: 'dry run' };
    },
    async close() {},
    count: () => sent,
  };
}
