import { endsWithCrlf, type OutgoingMessage } from '../../mail/built-message.js';
import { normalizeLineEndings } from '../../mail/line-endings.js';
import { classifyReply, type Envelope, type SendOutcome } from '../transport.js';
import type { SmtpConnection } from './connection.js';
import { ConnectionLost, describeReply, type SmtpReply } from './replies.js';

/**
 * One message over an open session: MAIL, RCPT and DATA (pipelined when the server offers
 * PIPELINING), then `beforeCommit` right after the 354, then the dot-stuffed body and the final
 * dot. How the connection is lost decides the outcome (see `lostAfterBody`).
 */
export type MessageResult = SendOutcome & {
  /** True when the session died before the server answered MAIL (closed by the server meanwhile). */
  staleSession?: boolean;
};

const DOT = Buffer.from('.\r\n');
const CRLF_DOT = Buffer.from('\r\n.\r\n');

/**
 * `handOver` is called once the final dot is written: the session may then carry the next
 * message's MAIL/RCPT/DATA while this one's reply is still on its way (RFC 2920 allows message
 * content to start a pipelined group). Replies come back in order, so each reader gets its own.
 */
export async function sendOnSession(
  session: SmtpConnection,
  envelope: Envelope,
  original: OutgoingMessage,
  beforeCommit: () => Promise<boolean>,
  handOver: () => void = () => undefined,
): Promise<MessageResult> {
  const message = normalizeLineEndings(original);
  if (/[\x00-\x20<>]/.test(envelope.from + envelope.to)) {
    return { status: 'failed', code: undefined, response: `refusing an envelope address with spaces, control characters or angle brackets: ${JSON.stringify(envelope.to)}`, hardBounce: false };
  }
  const utf8 = /[^\x00-\x7f]/.test(envelope.from + envelope.to);
  if (utf8 && !session.capabilities.has('SMTPUTF8')) {
    return { status: 'failed', code: undefined, response: `the server does not accept internationalised addresses (no SMTPUTF8) for ${envelope.to}`, hardBounce: false };
  }
  // RFC 1870: a message over the advertised limit is this message's problem, not the reader's address.
  if (session.maxSize !== undefined && message.length > session.maxSize) {
    return { status: 'failed', code: undefined, response: `the message is ${message.length} bytes and the server accepts at most ${session.maxSize} (its SIZE limit): shorten the edition or raise the limit; the reader's address is fine`, hardBounce: false };
  }
  const size = session.capabilities.has('SIZE') ? ` SIZE=${message.length}` : '';
  const params = `${session.capabilities.has('8BITMIME') ? ' BODY=8BITMIME' : ''}${utf8 ? ' SMTPUTF8' : ''}${size}`;
  const commands = [`MAIL FROM:<${envelope.from}>${params}`, `RCPT TO:<${envelope.to}>`, 'DATA'];
  let answered = false;
  try {
    const replies = await exchange(session, commands, () => {
      answered = true;
    });
    const refusal = firstRefusal(replies);
    if (refusal) return await refused(session, refusal, replies);
    if (!(await beforeCommit())) {
      // In DATA mode there is no way back but to drop the session: the server discards it.
      session.destroy();
      return { status: 'aborted' };
    }
  } catch (error) {
    if (!(error instanceof ConnectionLost)) throw error;
    session.usable = false;
    return { status: 'deferred', code: undefined, response: `connection lost before the message was sent: ${error.message}`, hardBounce: false, staleSession: !answered };
  }
  return commit(session, message, handOver);
}

async function exchange(session: SmtpConnection, commands: string[], onFirstReply: () => void): Promise<SmtpReply[]> {
  if (session.capabilities.has('PIPELINING')) {
    session.write(`${commands.join('\r\n')}\r\n`);
    const replies: SmtpReply[] = [];
    for (let i = 0; i < commands.length; i += 1) {
      const reply = await session.read();
      onFirstReply();
      replies.push(reply);
      if (reply.code === 421) break;
    }
    return replies;
  }
  const replies: SmtpReply[] = [];
  for (const command of commands) {
    const reply = await session.command(command);
    onFirstReply();
    replies.push(reply);
    if (command !== 'DATA' && (reply.code < 200 || reply.code >= 300)) break;
  }
  return replies;
}

/** The reply that stops this message: a refused MAIL or RCPT, or DATA without 354. */
function firstRefusal(replies: SmtpReply[]): SmtpReply | undefined {
  for (const [index, reply] of replies.entries()) {
    if (index < 2 ? reply.code < 200 || reply.code >= 300 : reply.code !== 354) return reply;
  }
  return replies.length < 3 ? { code: 0, text: 'no reply', lines: [] } : undefined;
}

async function refused(session: SmtpConnection, reply: SmtpReply, replies: SmtpReply[]): Promise<MessageResult> {
  if (reply.code >= 200 && reply.code < 400) {
    // A 2xx/3xx where 354 (or, for MAIL/RCPT, 2xx) was due: replies out of step, nothing was sent.
    session.destroy();
    return { status: 'deferred', code: undefined, response: `replies out of step (got "${describeReply(reply)}" where the server should have invited the message): nothing was sent`, hardBounce: false };
  }
  if (reply.code === 421) session.usable = false;
  if (replies[2]?.code === 354) {
    // A server that took DATA although MAIL or RCPT failed: end it without a message.
    session.destroy();
  } else if (session.usable) {
    const reset = await session.command('RSET').catch(() => undefined);
    if (!reset || reset.code !== 250) session.usable = false;
  }
  session.messages += 1;
  return classifyReply(reply.code || undefined, describeReply(reply));
}

async function commit(session: SmtpConnection, message: OutgoingMessage, handOver: () => void): Promise<MessageResult> {
  if (session.closed) return lostWhileWriting('the server closed the connection before the message was written');
  // One write (writev) for the body and the final dot; its callback says the last byte left this process.
  const parts = [...bodyParts(message), endsWithCrlf(message) ? DOT : CRLF_DOT];
  const write: { done: boolean; error?: Error | null | undefined } = { done: false };
  const written = new Promise<void>((resolve) =>
    session.writeAll(parts, (error) => {
      Object.assign(write, { done: true, error });
      resolve();
    }),
  );
  const ownWrites = session.writes;
  const replied = session.read().catch((error: unknown) => error);
  // Without PIPELINING the next MAIL must wait for this reply: the session is handed over after it.
  if (session.capabilities.has('PIPELINING')) handOver();
  const reply = await replied;
  if (reply instanceof ConnectionLost) {
    session.usable = false;
    // A lost connection may report before the write's callback: settle the write first.
    await Promise.race([written, new Promise((resolve) => setImmediate(resolve))]);
    return lostAfterBody(reply, write, session.unflushed, session.writes !== ownWrites);
  }
  if (reply instanceof Error) throw reply;
  const answer = reply as SmtpReply;
  if (!(answer.code >= 200 && answer.code < 600) || (answer.code >= 300 && answer.code < 400)) {
    // Not an answer to the final dot: the server may or may not have taken the message.
    session.usable = false;
    return { status: 'uncertain', response: `the server answered the final dot with "${describeReply(answer).slice(0, 200)}", not a 2xx, 4xx or 5xx reply` };
  }
  if (answer.code === 421) session.usable = false;
  session.messages += 1;
  return classifyReply(answer.code, describeReply(answer));
}

/**
 * A finished write only means the bytes reached this machine's kernel, so the cases where the
 * server cannot have the whole message are told apart from the one where it may:
 *   - the write failed, or had not finished, or bytes were still unflushed at the close: deferred;
 *   - the peer reset the connection with nothing of ours written after this message: it closed
 *     with bytes it had not read (or they arrived after it closed), so it lacks the end: deferred;
 *   - every byte handed over, then an orderly close or silence: uncertain, the only honest answer.
 */
function lostAfterBody(
  lost: ConnectionLost,
  write: { done: boolean; error?: Error | null | undefined },
  unflushed: number,
  laterWrites: boolean,
): MessageResult {
  if (write.error) return lostWhileWriting(`the write failed: ${write.error.message}`);
  if (!write.done) return lostWhileWriting(`the connection closed before the message was fully written (${lost.message})`);
  if (unflushed > 0) return lostWhileWriting(`the connection closed with ${unflushed} bytes not yet sent (${lost.message})`);
  if (lost.reset && !laterWrites) return lostWhileWriting(`the server reset the connection before reading the whole message (${lost.message})`);
  return { status: 'uncertain', response: `every byte was sent, then the connection ended before the server answered the final dot: ${lost.message}` };
}

function lostWhileWriting(reason: string): MessageResult {
  return { status: 'deferred', code: undefined, response: `the server cannot have the whole message: ${reason}`, hardBounce: false };
}

/** The message's bytes as written: a built message's own chunks (dot-free by construction), any other dot-stuffed. */
function bodyParts(message: OutgoingMessage): readonly Buffer[] {
  return Buffer.isBuffer(message) ? dotStuffParts(message) : message.chunks;
}

/** RFC 5321 4.5.2: a line that starts with "." gets one more. */
export function dotStuff(message: Buffer): Buffer {
  const parts = dotStuffParts(message);
  return parts.length === 1 ? message : Buffer.concat(parts);
}

const LF_DOT = Buffer.from('\n.');

/** The message as slices with the extra dots between them: no copy of the message itself. */
function dotStuffParts(message: Buffer): Buffer[] {
  let at = message[0] === 0x2e ? 0 : message.indexOf(LF_DOT);
  if (at === -1) return [message];
  const parts: Buffer[] = [];
  let last = 0;
  while (at !== -1) {
    const cut = message[at] === 0x2e ? at : at + 1;
    parts.push(message.subarray(last, cut), DOT.subarray(0, 1));
    last = cut;
    at = message.indexOf(LF_DOT, cut + 1);
  }
  parts.push(message.subarray(last));
  return parts;
}
