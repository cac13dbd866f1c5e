import { loadDkimSigner, type DkimSigner, type DkimSettings } from '../mail/dkim.js';
import type { OutgoingMessage } from '../mail/built-message.js';
import { normalizeLineEndings } from '../mail/line-endings.js';
import type { Transport } from './transport.js';

/**
 * The transport every message leaves through, whatever sent it (a delivery, a confirmation, a
 * test send): line ends made CRLF, then a DKIM signature when DKIM is configured, then the real
 * transport. Built once, in the composition root, so no path can skip the signature.
 */
export function signingTransport(inner: Transport, dkim: DkimSettings | undefined, now: () => Date): Transport {
  let signer: DkimSigner | undefined;
  // Loaded on first use: a bad key refuses `verify` (before an edition is recorded), not `digest status`.
  const sign = (message: OutgoingMessage) => {
    if (!dkim) return Promise.resolve(message);
    signer ??= loadDkimSigner(dkim, now);
    return signer.sign(message);
  };
  return {
    description: inner.description,
    concurrency: inner.concurrency,
    async verify() {
      if (dkim) signer ??= loadDkimSigner(dkim, now);
      await inner.verify();
    },
    async send(envelope, message, beforeCommit) {
      return inner.send(envelope, await sign(normalizeLineEndings(message)), beforeCommit);
    },
    close: () => inner.close(),
  };
}
