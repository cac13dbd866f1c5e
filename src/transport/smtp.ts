import nodemailer from 'nodemailer';
import { DeliveryError } from '../errors.js';
import { classifyReply, type Envelope, type SendOutcome, type Transport } from './transport.js';

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/** SMTP through a nodemailer connection pool, sending each pre-built message as is. */
export function smtpTransport(url: string, maxConnections: number, ratePerSecond?: number): Transport {
  const pool = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections,
    maxMessages: Infinity,
    ...(ratePerSecond ? { rateDelta: 1000, rateLimit: ratePerSecond } : {}),
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    description: redact(url),
    concurrency: maxConnections,
    async verify() {
      try {
        await pool.verify();
      } catch (error) {
        throw verifyError(url, error as SmtpError);
      }
    },
    async send(envelope: Envelope, message: Buffer, beforeCommit): Promise<SendOutcome> {
      if (!(await beforeCommit())) return { status: 'aborted' };
      try {
        const info = await pool.sendMail({ envelope: { from: envelope.from, to: [envelope.to] }, raw: message });
        return { status: 'sent', response: String(info.response ?? '') };
      } catch (error) {
        const smtp = error as SmtpError;
        return classifyReply(smtp.responseCode, smtp.response ?? smtp.message);
      }
    },
    async close() {
      pool.close();
    },
  };
}

function verifyError(url: string, error: SmtpError): DeliveryError {
  const where = redact(url);
  if (error.code === 'EAUTH') {
    return new DeliveryError('SMTP_AUTH', `The SMTP server ${where} refused the login (${error.response ?? error.message}). Nothing was sent: check the user and password in SMTP_URL.`, { cause: error });
  }
  if (error.code === 'ETLS') {
    return new DeliveryError('SMTP_TLS', `The SMTP server ${where} refused the TLS upgrade (${error.message}). Nothing was sent: check the port and smtp:// versus smtps:// in SMTP_URL.`, { cause: error });
  }
  return new DeliveryError('SMTP_UNREACHABLE', `The SMTP server ${where} could not be reached (${error.message}). Nothing was sent; the next run will try again.`, { cause: error });
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'the configured SMTP server';
  }
}
