import { classifyReply, type Envelope, type SendOutcome } from '../transport.js';
import type { SmtpConnection } from './connection.js';
import { ConnectionLost, describeReply, type SmtpReply } from './replies.js';

/**
 * One message over an open session: MAIL, RCPT and DATA (pipelined when the server offers
 * PIPELINING), then `beforeCommit` right after the 354, then the dot-stuffed body and the final
 * dot. Where the connection is lost decides the outcome: before the dot nothing was accepted
 * (deferred); after it the server may have accepted the message (uncertain, never resent).
 */
export type MessageResult = SendOutcome & {
  /** True when the session died before the server answered MAIL (closed by the server meanwhile). */
  staleSession?: boolean;
};

const DOT = Buffer.from('.\r\n');
const CRLF_DOT = Buffer.from('\r\n.\r\n');
const CRLF = Buffer.from('\r\n');

/**
 * `handOver` is called once the final dot is written: the session may then carry the next
 * message's MAIL/RCPT/DATA while this one's reply is still on its way (RFC 2920 allows message
 * content to start a pipelined group). Replies come back in order, so each reader gets its own.
 */
export async function sendOnSession(
  session: SmtpConnection,
  envelope: Envelope,
  message: Buffer,
  beforeCommit: () => Promise<boolean>,
  handOver: () => void = () => undefined,
): Promise<MessageResult> {
  if (/[\x00-\x20<>]/.test(envelope.from + envelope.to)) {
    return { status: 'failed', code: undefined, response: `refusing an envelope address with spaces, control characters or angle brackets: ${JSON.stringify(envelope.to)}`, hardBounce: false };
  }
  const utf8 = /[^\x00-\x7f]/.test(envelope.from + envelope.to);
  if (utf8 && !session.capabilities.has('SMTPUTF8')) {
    return { status: 'failed', code: undefined, response: `the server does not accept internationalised addresses (no SMTPUTF8) for ${envelope.to}`, hardBounce: false };
  }
  const params = `${session.capabilities.has('8BITMIME') ? ' BODY=8BITMIME' : ''}${utf8 ? ' SMTPUTF8' : ''}`;
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

async function commit(session: SmtpConnection, message: Buffer, handOver: () => void): Promise<MessageResult> {
  const lostBefore = (reason: string): MessageResult => ({ status: 'deferred', code: undefined, response: `connection lost before the final dot: ${reason}`, hardBounce: false });
  if (session.closed) return lostBefore('the server closed the connection');
  // One write (writev) for the body and the final dot; its callback tells whether the dot reached the network.
  const parts = [...dotStuffParts(message), message.subarray(-2).equals(CRLF) ? DOT : CRLF_DOT];
  const written = new Promise<Error | null | undefined>((resolve) => session.writeAll(parts, resolve));
  const replied = session.read().catch((error: unknown) => error);
  // Without PIPELINING the next MAIL must wait for this reply: the session is handed over after it.
  if (session.capabilities.has('PIPELINING')) handOver();
  const [writeError, reply] = await Promise.all([written, replied]);
  if (reply instanceof ConnectionLost) {
    session.usable = false;
    if (writeError) return lostBefore(writeError.message);
    return { status: 'uncertain', response: `connection lost after the final dot, before the server answered: ${reply.message}` };
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
