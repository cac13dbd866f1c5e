import { sendingTransport } from '../app.js';
import type { Config } from '../config.js';
import { previewMessage } from '../edition/preview-message.js';
import { checkAddress } from '../mail/address.js';
import { previewApp, previewInput, toPageError, type PreviewQuery } from './model.js';

/**
 * "Send a test": the previewed message, built by the same code as `digest send`, goes to one
 * address the editor typed, through the configured transport (SMTP_URL, or the outbox), with
 * "[TEST]" before the subject. Nothing is written to the database: the App works on a snapshot.
 */
export interface TestSendResult {
  ok: boolean;
  status: 200 | 400 | 502;
  message: string;
}

export async function sendTest(config: Config, query: PreviewQuery, to: string): Promise<TestSendResult> {
  const address = checkAddress(to);
  if (!address.ok) return { ok: false, status: 400, message: `"${to}" is not a usable address: ${address.reason}` };
  const app = await previewApp(config);
  try {
    const result = await previewMessage(app, { ...previewInput(query), testRecipient: address.address });
    if (!result.message) return { ok: false, status: 400, message: 'Nothing to send: this preview has no posts.' };
    const transport = await sendingTransport(config, app.now);
    const where = transport.description;
    try {
      await transport.verify();
      // Signed like a real delivery when DKIM is configured, so the test shows what receivers check.
      const outcome = await transport.send({ from: app.sender.from.address, to: address.address, messageId: result.message.messageId }, result.message.eml, async () => true);
      if (outcome.status === 'sent') return { ok: true, status: 200, message: `Sent "${result.message.subject}" to ${address.address} via ${where}.` };
      const response = 'response' in outcome ? outcome.response : outcome.status;
      return { ok: false, status: 502, message: `Not sent to ${address.address} via ${where}: ${response}` };
    } finally {
      await transport.close();
    }
  } catch (error) {
    return { ok: false, status: 502, message: toPageError(error).message };
  } finally {
    await app.close();
  }
}
