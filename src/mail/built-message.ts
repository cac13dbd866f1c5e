/**
 * A message as the product builds it (message.ts): the chunks of its segment's template, shared by
 * every reader and kept for the whole send, with the reader's own values between them. It goes to
 * the socket chunk by chunk in one writev and is never joined into one buffer. Joining copied each
 * message whole, and each copy was 44 KB outside V8's heap, which V8 counts against its budget for
 * the old generation: a send ran a full collection every 100 ms or so (docs/performance.md).
 *
 * Built so, it has CRLF line ends only and no line that starts with "." (line-endings.ts): the
 * SMTP client neither mends nor dot-stuffs it.
 */
export interface BuiltMessage {
  readonly chunks: readonly Buffer[];
  /** Bytes in all the chunks. */
  readonly length: number;
}

/** What a transport sends: a built message, or any other message (a confirmation, a test) as one buffer. */
export type OutgoingMessage = Buffer | BuiltMessage;

export function builtMessage(chunks: readonly Buffer[]): BuiltMessage {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  return { chunks, length };
}

export const chunksOf = (message: OutgoingMessage): readonly Buffer[] => (Buffer.isBuffer(message) ? [message] : message.chunks);

/** The message as one buffer: for the outbox's files and previews, never on the way to a socket. */
export const joined = (message: OutgoingMessage): Buffer => (Buffer.isBuffer(message) ? message : Buffer.concat(message.chunks, message.length));

/** True when the message's last two bytes are CRLF (where the final dot may follow at once). */
export function endsWithCrlf(message: OutgoingMessage): boolean {
  const chunks = chunksOf(message);
  let seenLf = false;
  // From the end, across chunk boundaries (a chunk may be empty or one byte long).
  for (let i = chunks.length - 1; i >= 0; i -= 1) {
    const chunk = chunks[i] as Buffer;
    for (let j = chunk.length - 1; j >= 0; j -= 1) {
      if (seenLf) return chunk[j] === 0x0d;
      if (chunk[j] !== 0x0a) return false;
      seenLf = true;
    }
  }
  return false;
}
