import { smtpClientTransport } from '../../src/transport/smtp-client/index.js';
import type { SendOutcome } from '../../src/transport/transport.js';
import type { Received, TestSmtpServer } from '../support/smtp.js';
import type { Original } from './fixtures.js';

/** What our own message to `address` carried, as the outbound test server received it. */
export function originalTo(smtp: TestSmtpServer, address: string): Original & { received: Received } {
  const received = smtp.to(address).at(-1);
  if (!received) throw new Error(`nothing was sent to ${address}`);
  return { returnPath: received.from, to: address, messageId: `<${received.parsed.messageId!.replace(/^<|>$/g, '')}>`, received };
}

/** Delivers a report to the bounce listener over SMTP, as a remote mail server would: MAIL FROM:<>. */
export async function deliverReport(port: number, to: string, raw: Buffer): Promise<SendOutcome> {
  const client = smtpClientTransport(`smtp://127.0.0.1:${port}`, { maxConnections: 1, timeoutMs: 30_000 });
  try {
    return await client.send({ from: '', to, messageId: '<report@test>' }, raw, async () => true);
  } finally {
    await client.close();
  }
}
